package stats_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestRefusedStatisticsConsentIsLeftOut: a case whose person refused
// statistical use (an active statistics consent with decision refused) is
// in no count; a refusal withdrawn or expired, or a grant, changes nothing.
func TestRefusedStatisticsConsentIsLeftOut(t *testing.T) {
	env, file := startWithCTDC(t)
	st := client(env)
	ctx := env.As(t, coordinator)
	bg := context.Background()

	ids := func(n int, offset int) []string {
		rows, err := env.Pool.Query(bg, "SELECT id::text FROM cases ORDER BY import_line OFFSET $1 LIMIT $2", offset, n)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		return out
	}
	consent := func(caseID string, purpose, decision, state int, expire *time.Time) {
		_, err := env.Pool.Exec(bg, `INSERT INTO consents (id, case_id, purpose, decision, state, given_time, expire_time, recorded_by)
			VALUES ($1, $2, $3, $4, $5, now() - interval '1 day', $6, 'test')`, uuid.NewString(), caseID, purpose, decision, state, expire)
		if err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-time.Hour)
	for _, id := range ids(10, 0) {
		consent(id, 3, 2, 1, nil) // refused, active: left out
	}
	for _, id := range ids(5, 10) {
		consent(id, 3, 2, 2, nil) // refused but withdrawn
	}
	for _, id := range ids(5, 15) {
		consent(id, 3, 2, 1, &past) // refused but expired
	}
	for _, id := range ids(5, 20) {
		consent(id, 3, 1, 1, nil) // granted
		consent(id, 1, 2, 1, nil) // assistance refused: not about statistics
	}
	resp, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{dYear}})
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's first lines are all 2012 cases.
	lines := map[int64]bool{}
	rows, err := env.Pool.Query(bg, "SELECT import_line FROM cases ORDER BY import_line LIMIT 10")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var l int64
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		lines[l] = true
	}
	rows.Close()
	want := expected(file, []casebridgev1.Dimension{dYear}, func(c fileCase) bool { return !lines[c.line] })
	checkTable(t, resp, want)
	if got := resp.GetTotals()[0].GetCount(); got != int64(len(file)-10) {
		t.Errorf("grand total %d, want %d", got, len(file)-10)
	}
}
