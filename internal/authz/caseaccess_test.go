package authz

import (
	"errors"
	"slices"
	"testing"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/testdb"
)

func TestCaseAccess(t *testing.T) {
	pool := testdb.New(t)
	addOrgs(t, pool, "shelter-a", "shelter-b", "legal-c")
	addMember(t, pool, "shelter-a", "cw-a", "caseworker")
	addMember(t, pool, "shelter-a", "sup-a", "supervisor")
	addMember(t, pool, "shelter-a", "law-a", "lawyer")
	addMember(t, pool, "shelter-a", "admin-a", "org_admin")
	addMember(t, pool, "shelter-a", "coord-a", "coordinator")
	addMember(t, pool, "shelter-a", "aud-a", "auditor")
	addMember(t, pool, "shelter-b", "cw-b", "caseworker")
	addMember(t, pool, "legal-c", "law-c", "lawyer")
	addMember(t, pool, "legal-c", "cw-c", "caseworker")
	addMember(t, pool, "legal-c", "sup-c", "supervisor")
	addMember(t, pool, "shelter-a", "both", "caseworker")
	addMember(t, pool, "legal-c", "both", "lawyer")
	m := NewMembers(pool, MembersOptions{Logger: quietLog})
	e := defaultEngine(t)

	all := dataclass.All
	own := CaseInfo{OwnerOrg: "shelter-a"}
	shared := CaseInfo{OwnerOrg: "shelter-a", Shares: []Share{{Org: "legal-c", Classes: []dataclass.Class{"identity", "legal", "care"}}}}
	twoShares := CaseInfo{OwnerOrg: "shelter-a", Shares: []Share{
		{Org: "shelter-b", Classes: []dataclass.Class{"contact"}},
		{Org: "legal-c", Classes: []dataclass.Class{"identity"}},
		{Org: "legal-c", Classes: []dataclass.Class{"contact"}},
	}}

	tests := []struct {
		name     string
		subject  string
		info     CaseInfo
		obj, act string
		want     Access
		err      error
	}{
		// Owner organisation.
		{"caseworker reads own case", "cw-a", own, "case", "read", Access{Org: "shelter-a", Classes: all}, nil},
		{"caseworker updates own case", "cw-a", own, "case", "update", Access{Org: "shelter-a", Classes: all}, nil},
		{"caseworker adds a note", "cw-a", own, "note", "create", Access{Org: "shelter-a", Classes: all}, nil},
		{"caseworker cannot erase", "cw-a", own, "case", "erase", Access{}, ErrPermissionDenied},
		{"caseworker cannot close", "cw-a", own, "case", "close", Access{}, ErrPermissionDenied},
		{"caseworker cannot create a proceeding", "cw-a", own, "proceeding", "create", Access{}, ErrPermissionDenied},
		{"caseworker reads proceeding status", "cw-a", own, "proceeding", "read", Access{Org: "shelter-a", Classes: all}, nil},
		{"supervisor erases", "sup-a", own, "case", "erase", Access{Org: "shelter-a", Classes: all}, nil},
		{"supervisor reassigns", "sup-a", own, "case", "assign", Access{Org: "shelter-a", Classes: all}, nil},
		{"lawyer of the owner reads without care", "law-a", own, "case", "read", Access{Org: "shelter-a", Classes: []dataclass.Class{"identity", "contact", "legal"}}, nil},
		{"lawyer of the owner opens a proceeding", "law-a", own, "proceeding", "create", Access{Org: "shelter-a", Classes: []dataclass.Class{"identity", "contact", "legal"}}, nil},
		{"lawyer of the owner cannot update the case", "law-a", own, "case", "update", Access{}, ErrPermissionDenied},
		{"org admin of the owner cannot see cases", "admin-a", own, "case", "read", Access{}, ErrNotFound},
		{"coordinator of the owner cannot see cases", "coord-a", own, "case", "read", Access{}, ErrNotFound},
		{"auditor of the owner cannot see cases", "aud-a", own, "case", "read", Access{}, ErrNotFound},

		// Unrelated organisation.
		{"other shelter: not found", "cw-b", own, "case", "read", Access{}, ErrNotFound},
		{"other shelter cannot even try to erase", "cw-b", own, "case", "erase", Access{}, ErrNotFound},
		{"lawyer without referral: not found", "law-c", own, "case", "read", Access{}, ErrNotFound},
		{"unknown subject: not found", "nobody", own, "case", "read", Access{}, ErrNotFound},

		// Shared by an accepted referral: classes are the role's ∩ the referral's.
		{"lawyer reads shared case, narrowed", "law-c", shared, "case", "read", Access{Org: "legal-c", Classes: []dataclass.Class{"identity", "legal"}, Shared: true}, nil},
		{"lawyer opens a proceeding on shared case", "law-c", shared, "proceeding", "create", Access{Org: "legal-c", Classes: []dataclass.Class{"identity", "legal"}, Shared: true}, nil},
		{"lawyer records a payment on shared case", "law-c", shared, "payment", "create", Access{Org: "legal-c", Classes: []dataclass.Class{"identity", "legal"}, Shared: true}, nil},
		{"lawyer cannot update shared case", "law-c", shared, "case", "update", Access{}, ErrPermissionDenied},
		{"caseworker of receiver reads shared, narrowed", "cw-c", shared, "case", "read", Access{Org: "legal-c", Classes: []dataclass.Class{"identity", "care", "legal"}, Shared: true}, nil},
		{"caseworker of receiver cannot add notes", "cw-c", shared, "note", "create", Access{}, ErrPermissionDenied},
		{"caseworker of receiver cannot update", "cw-c", shared, "case", "update", Access{}, ErrPermissionDenied},
		{"supervisor of receiver cannot erase", "sup-c", shared, "case", "erase", Access{}, ErrPermissionDenied},
		{"supervisor of receiver cannot close", "sup-c", shared, "case", "close", Access{}, ErrPermissionDenied},
		{"third organisation still not found", "cw-b", shared, "case", "read", Access{}, ErrNotFound},
		{"two referrals to one org add up", "law-c", twoShares, "case", "read", Access{Org: "legal-c", Classes: []dataclass.Class{"identity", "contact"}, Shared: true}, nil},
		{"share to a shelter grants contact only", "cw-b", twoShares, "case", "read", Access{Org: "shelter-b", Classes: []dataclass.Class{"contact"}, Shared: true}, nil},
		{"member of owner and receiver acts as owner", "both", shared, "case", "read", Access{Org: "shelter-a", Classes: all}, nil},
		{"owner role lacks it, receiver role has it", "both", shared, "proceeding", "create", Access{Org: "legal-c", Classes: []dataclass.Class{"identity", "legal"}, Shared: true}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := principal(t, m, tc.subject)
			got, err := e.CaseAccess(p, tc.info, tc.obj, tc.act)
			if !errors.Is(err, tc.err) {
				t.Fatalf("CaseAccess(%s, %s:%s) error = %v, want %v", tc.subject, tc.obj, tc.act, err, tc.err)
			}
			if got.Org != tc.want.Org || got.Shared != tc.want.Shared || !slices.Equal(got.Classes, tc.want.Classes) {
				t.Errorf("CaseAccess(%s, %s:%s) = %+v, want %+v", tc.subject, tc.obj, tc.act, got, tc.want)
			}
		})
	}
}
