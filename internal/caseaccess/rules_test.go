package caseaccess

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/casebridge/casebridge/internal/referral"
	"github.com/casebridge/casebridge/internal/testdb"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestSQLAndGoRulesAgree: each rule has a SQL fragment (for list queries)
// and a Go predicate (for a case already loaded). Over cases shared in
// every way a referral can — each status, legal or not — both answer the
// same for every organisation, and Load reads back the facts stored.
func TestSQLAndGoRulesAgree(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	orgs := []string{"owner", "legal", "medical", "stranger"}
	for i, o := range orgs {
		if _, err := pool.Exec(ctx, `INSERT INTO organizations (id, display_name, kind) VALUES ($1, $1, $2)`, o, i%3+1); err != nil {
			t.Fatal(err)
		}
	}
	type ref struct {
		to      string
		service casebridgev1.ServiceKind
		status  referral.Status
	}
	legalSvc, medicalSvc := casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, casebridgev1.ServiceKind_SERVICE_KIND_MEDICAL
	var shapes [][]ref
	for _, st := range []referral.Status{referral.Pending, referral.Accepted, referral.Declined, referral.Completed, referral.Withdrawn, referral.Revoked} {
		shapes = append(shapes, []ref{{"legal", legalSvc, st}}, []ref{{"medical", medicalSvc, st}}, []ref{{"legal", medicalSvc, st}})
	}
	shapes = append(shapes, nil, []ref{{"legal", medicalSvc, referral.Accepted}, {"legal", legalSvc, referral.Completed}})
	for n, shape := range shapes {
		id := uuid.NewString()
		if _, err := pool.Exec(ctx, `INSERT INTO cases (id, organization_id, reference, status) VALUES ($1, 'owner', $2, 1)`, id, fmt.Sprint(n)); err != nil {
			t.Fatal(err)
		}
		for _, r := range shape {
			if _, err := pool.Exec(ctx, `INSERT INTO referrals (id, case_id, from_organization, to_organization, service, classes, status, purpose, created_by)
				VALUES ($1, $2, 'owner', $3, $4, '{4}', $5, 2, 'x')`, uuid.NewString(), id, r.to, int16(r.service), referral.Stored(r.status)); err != nil {
				t.Fatal(err)
			}
		}
		f, err := Load(ctx, pool, id, false)
		if err != nil {
			t.Fatal(err)
		}
		accepted := 0
		for _, r := range shape {
			if referral.Shares(r.status) {
				accepted++
			}
		}
		if f.Owner != "owner" || len(f.Shares) != accepted {
			t.Fatalf("case %d: facts %+v, want %d shares", n, f, accepted)
		}
		for _, o := range orgs {
			var visible, legal bool
			err := pool.QueryRow(ctx, `SELECT `+VisibleSQL("c", "$2")+`, `+LegalSQL("c", "$2")+` FROM cases c WHERE c.id = $1`,
				id, []string{o}).Scan(&visible, &legal)
			if err != nil {
				t.Fatal(err)
			}
			if visible != f.VisibleTo(o) {
				t.Errorf("case %d (%v), %s: VisibleSQL %v, VisibleTo %v", n, shape, o, visible, f.VisibleTo(o))
			}
			if legal != f.LegalWorkBy(o) {
				t.Errorf("case %d (%v), %s: LegalSQL %v, LegalWorkBy %v", n, shape, o, legal, f.LegalWorkBy(o))
			}
			if legal && !visible {
				t.Errorf("case %d, %s: legal work on a case it cannot see", n, o)
			}
		}
	}
}
