package referral

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/casebridge/casebridge/internal/testdb"
)

// TestConsentInForceSQLAndGoAgree: over consents of every decision, state
// and expiry (none, past, future), InForceSQL and NotInForce give the same
// answer, so do RefusalInForceSQL and RefusalInForce, and LapsedSQL holds
// exactly for a passed expiry.
func TestConsentInForceSQLAndGoAgree(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	caseID := uuid.NewString()
	if _, err := pool.Exec(ctx, `INSERT INTO organizations (id, display_name, kind) VALUES ('o', 'O', 1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO cases (id, organization_id, reference, status) VALUES ($1, 'o', 'r', 1)`, caseID); err != nil {
		t.Fatal(err)
	}
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	n := 0
	for _, decision := range []int16{1, 2} {
		for _, state := range []int16{1, 2} {
			for _, expire := range []*time.Time{nil, &past, &future} {
				n++
				id := uuid.NewString()
				if _, err := pool.Exec(ctx, `INSERT INTO consents (id, case_id, purpose, decision, state, given_time, expire_time, recorded_by)
					VALUES ($1, $2, 1, $3, $4, now() - interval '2 hours', $5, 'x')`, id, caseID, decision, state, expire); err != nil {
					t.Fatal(err)
				}
				var inForce, lapsed, refusal bool
				var now time.Time
				if err := pool.QueryRow(ctx, `SELECT `+InForceSQL("s")+`, `+LapsedSQL("s")+`, `+RefusalInForceSQL("s")+`, now() FROM consents s WHERE s.id = $1`, id).
					Scan(&inForce, &lapsed, &refusal, &now); err != nil {
					t.Fatal(err)
				}
				if refusal != RefusalInForce(state, decision, expire, now) {
					t.Errorf("decision %d state %d expire %v: RefusalInForceSQL %v, RefusalInForce disagrees", decision, state, expire, refusal)
				}
				why := NotInForce(state, decision, expire, now)
				if inForce != (why == "") {
					t.Errorf("decision %d state %d expire %v: InForceSQL %v, NotInForce %q", decision, state, expire, inForce, why)
				}
				if lapsed != (expire == &past) {
					t.Errorf("expire %v: LapsedSQL %v", expire, lapsed)
				}
			}
		}
	}
	if n != 12 {
		t.Fatalf("%d shapes", n)
	}
}
