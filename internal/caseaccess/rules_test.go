package caseaccess

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/casebridge/casebridge/internal/referral"
	"github.com/casebridge/casebridge/internal/testdb"
	"github.com/casebridge/casebridge/internal/transfer"
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

// TestFollowersSQLAndGoAgree: a former owner is visible (a follower) exactly
// while its transfer was accepted and a follow-up consent naming it (by id
// or kind) is in force; VisibleSQL and VisibleTo agree on every shape, a
// follower is never doing legal work, and the policy lets it read the case
// with no class.
func TestFollowersSQLAndGoAgree(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	// kinds: old 1 (shelter), new 3 (cso), stranger 1 (shelter, like old)
	for o, kind := range map[string]int{"old": 1, "new": 3, "stranger": 1} {
		if _, err := pool.Exec(ctx, `INSERT INTO organizations (id, display_name, kind) VALUES ($1, $1, $2)`, o, kind); err != nil {
			t.Fatal(err)
		}
	}
	type shape struct {
		transfer transfer.Status
		consent  string // "org", "kind", "withdrawn", "expired", "other purpose", ""
		follows  bool
	}
	var shapes []shape
	for _, st := range []transfer.Status{transfer.Proposed, transfer.Accepted, transfer.Declined, transfer.Cancelled} {
		for _, c := range []string{"org", "kind", "withdrawn", "expired", "other purpose", ""} {
			shapes = append(shapes, shape{st, c, st == transfer.Accepted && (c == "org" || c == "kind")})
		}
	}
	for n, s := range shapes {
		id := uuid.NewString()
		owner := "old"
		if s.transfer == transfer.Accepted {
			owner = "new"
		}
		if _, err := pool.Exec(ctx, `INSERT INTO cases (id, organization_id, reference, status) VALUES ($1, $2, $3, 1)`, id, owner, fmt.Sprint(n)); err != nil {
			t.Fatal(err)
		}
		consentID := uuid.NewString()
		purpose, state, org, kind, expire := int16(transfer.FollowUpPurpose), 1, any("old"), any(nil), any(nil)
		switch s.consent {
		case "kind":
			org, kind = nil, 1
		case "withdrawn":
			state = 2
		case "expired":
			expire = "2020-01-01T00:00:00Z"
		case "other purpose":
			purpose = int16(transfer.Purpose)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO consents (id, case_id, purpose, decision, state, organization_id, organization_kind, given_time, expire_time, recorded_by)
			VALUES ($1, $2, $3, 1, $4, $5, $6, '2019-01-01', $7, 'x')`, consentID, id, purpose, state, org, kind, expire); err != nil {
			t.Fatal(err)
		}
		if s.consent == "" {
			if _, err := pool.Exec(ctx, `DELETE FROM consents WHERE id = $1`, consentID); err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(ctx, `INSERT INTO consents (id, case_id, purpose, decision, state, organization_id, given_time, recorded_by)
				VALUES ($1, $2, $3, 1, 1, 'new', '2019-01-01', 'x')`, consentID, id, int16(transfer.Purpose)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := pool.Exec(ctx, `INSERT INTO case_transfers (id, case_id, from_organization, to_organization, status, consent_id, from_reference, proposed_by)
			VALUES ($1, $2, 'old', 'new', $3, $4, 'r', 'x')`, uuid.NewString(), id, transfer.Stored(s.transfer), consentID); err != nil {
			t.Fatal(err)
		}
		f, err := Load(ctx, pool, id, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []string{"old", "new", "stranger"} {
			var visible, legal bool
			if err := pool.QueryRow(ctx, `SELECT `+VisibleSQL("c", "$2")+`, `+LegalSQL("c", "$2")+` FROM cases c WHERE c.id = $1`,
				id, []string{o}).Scan(&visible, &legal); err != nil {
				t.Fatal(err)
			}
			if visible != f.VisibleTo(o) {
				t.Errorf("shape %+v, %s: VisibleSQL %v, VisibleTo %v", s, o, visible, f.VisibleTo(o))
			}
			want := o == owner || (o == "old" && s.follows)
			if visible != want {
				t.Errorf("shape %+v, %s: visible %v, want %v", s, o, visible, want)
			}
			if o == "old" && owner != "old" && (legal || f.LegalWorkBy(o)) {
				t.Errorf("shape %+v: a follower does legal work", s)
			}
		}
		if s.follows && (len(f.Shares) != 1 || !f.Shares[0].Follows || f.Shares[0].Org != "old" || len(f.Shares[0].Classes) != 0) {
			t.Errorf("shape %+v: shares %+v, want one follower share of old", s, f.Shares)
		}
	}
}
