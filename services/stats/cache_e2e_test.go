package stats_test

import (
	"context"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestCacheFollowsThePopulation: an exact count asked again over the same
// population is the kept answer; a new case, a statistics refusal, an
// organisation's new kind and a refusal that lapses each change the
// population, and the next answer counts it afresh.
func TestCacheFollowsThePopulation(t *testing.T) {
	env := servertest.Start(t)
	seedCases(t, env.Pool, 40, "a")
	st := client(env)
	ctx := env.As(t, coordinator)
	db := context.Background()
	count := func(dims ...casebridgev1.Dimension) (int64, bool) {
		t.Helper()
		resp, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: dims})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetTotals()[0].GetCount(), resp.GetRelease().GetRepeated()
	}
	n, repeated := count(dSex)
	if repeated {
		t.Fatal("the first answer says it is a repeat")
	}
	if again, repeated := count(dSex); !repeated || again != n {
		t.Fatalf("second answer %d (repeated %v), first %d: not kept", again, repeated, n)
	}
	steps := []struct {
		name  string
		sql   string
		delta int64
	}{
		{"new cases", `INSERT INTO cases (id, organization_id, reference, status, sex, country, identification_year)
			SELECT gen_random_uuid(), 'shelter-a', 'C-' || g, 1, 1, 'RS', 2020 FROM generate_series(1, 5) g`, 5},
		{"a refusal", `INSERT INTO consents (id, case_id, purpose, decision, state, given_time, recorded_by)
			SELECT gen_random_uuid(), id, 3, 2, 1, now(), 'test' FROM cases WHERE reference = 'C-1'`, -1},
		{"a refusal that lapses in a second", `INSERT INTO consents (id, case_id, purpose, decision, state, given_time, expire_time, recorded_by)
			SELECT gen_random_uuid(), id, 3, 2, 1, now(), now() + interval '1 second', 'test' FROM cases WHERE reference = 'C-2'`, -1},
	}
	for _, s := range steps {
		if _, err := env.Pool.Exec(db, s.sql); err != nil {
			t.Fatal(err)
		}
		got, repeated := count(dSex)
		if repeated || got != n+s.delta {
			t.Fatalf("after %s: %d (repeated %v), want %d", s.name, got, repeated, n+s.delta)
		}
		n = got
	}
	time.Sleep(1100 * time.Millisecond)
	if got, repeated := count(dSex); repeated || got != n+1 {
		t.Fatalf("after the refusal lapsed: %d (repeated %v), want %d", got, repeated, n+1)
	}
	// A change of nothing counted keeps the answer; a changed coded
	// attribute does not.
	if _, err := env.Pool.Exec(db, `UPDATE cases SET assigned_caseworker = 'someone' WHERE reference = 'C-3'`); err != nil {
		t.Fatal(err)
	}
	if got, repeated := count(dSex); !repeated || got != n+1 {
		t.Fatalf("after an update of nothing counted: %d (repeated %v), want the kept %d", got, repeated, n+1)
	}
	if _, err := env.Pool.Exec(db, `UPDATE cases SET identification_year = 2021 WHERE reference = 'C-3'`); err != nil {
		t.Fatal(err)
	}
	if _, repeated := count(dSex); repeated {
		t.Fatal("a changed coded attribute was answered from the cache")
	}
	kinds := func() map[string]bool {
		resp, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{dOrgKind}})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, c := range resp.GetCells() {
			out[c.GetValues()[0].GetValue()] = true
		}
		return out
	}
	before := kinds()
	if _, err := env.Pool.Exec(db, `UPDATE organizations SET kind = 5 WHERE id = 'cso-c'`); err != nil {
		t.Fatal(err)
	}
	after := kinds()
	if len(before) == 0 || equalSets(before, after) {
		t.Fatalf("organisation kinds %v before and %v after cso-c changed kind", before, after)
	}
}

func equalSets(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
