package stats_test

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/ctdc"
	"github.com/casebridge/casebridge/internal/testdb"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/casebridge/casebridge/services/stats"
)

// BenchmarkCountCases1M counts a million cases by three dimensions. The
// cases repeat the CTDC file's rows in turn (about seventy times each), so
// they have its skew — its joint distribution of year, sex, age,
// nationality and forms — spread over three organisations and five
// countries by row number. Each iteration counts afresh, audit included:
// the population's version is bumped before it (outside the timer), so no
// answer is served from the cache; the "repeat" case measures the cached
// answer. Besides the mean it reports the median (p50-ms), the audit's
// median time and share of it (audit-p50-ms, audit-share-%), and the most
// unknowns of one linear program the audit solved (largest-lp) and its
// rounds of further withholding (audit-rounds), the cells
// and totals of the answer and how many were withheld, and 1 for a
// table whose audit ran out of its budget (exhausted). Run it with:
//
//	go test -run '^$' -bench CountCases1M -benchtime 10x ./services/stats/
func BenchmarkCountCases1M(b *testing.B) {
	const n = 1_000_000
	pool := testdb.New(b)
	ctx := context.Background()
	for _, sql := range []string{
		`INSERT INTO organizations (id, display_name, kind) VALUES
			('bench-shelter', 'Shelter', 1), ('bench-legal', 'Legal aid', 2), ('bench-cso', 'CSO', 3)`,
		`CREATE TABLE bench_ctdc (n int PRIMARY KEY, sex smallint, age_band smallint, child smallint,
			nationality text, identification_year int, exploitation_forms smallint[], identification_status smallint)`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			b.Fatal(err)
		}
	}
	f, err := os.Open(ctdcFile(b))
	if err != nil {
		b.Fatal(err)
	}
	r, err := ctdc.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	var rows [][]any
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		c := row.GetCoded()
		forms := []int16{}
		for _, fm := range c.GetExploitationForms() {
			forms = append(forms, int16(fm))
		}
		rows = append(rows, []any{int32(len(rows)), int16(c.GetSex()), int16(c.GetAgeBand()), int16(c.GetChild()),
			c.GetNationality(), c.GetIdentificationYear(), forms, int16(c.GetIdentificationStatus())})
	}
	f.Close()
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"bench_ctdc"}, []string{"n", "sex", "age_band", "child",
		"nationality", "identification_year", "exploitation_forms", "identification_status"}, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO cases (id, organization_id, reference, status, sex, age_band, child, nationality, country,
				identification_year, exploitation_forms, identification_status)
			SELECT gen_random_uuid(), (ARRAY['bench-shelter', 'bench-legal', 'bench-cso'])[1 + g % 3], 'B-' || g, 1,
				r.sex, r.age_band, r.child, r.nationality, (ARRAY['RS', 'RS', 'MK', 'AL', ''])[1 + g % 5],
				r.identification_year, r.exploitation_forms, r.identification_status
			FROM generate_series(0, $1 - 1) g JOIN bench_ctdc r ON r.n = g % $2`, []any{n, len(rows)}},
		// Forty cases of four nationalities the file does not have, as a
		// real caseload has a few: the tables by nationality get small
		// cells, and their audits programs to solve.
		{`INSERT INTO cases (id, organization_id, reference, status, sex, age_band, child, nationality, country,
				identification_year, exploitation_forms, identification_status)
			SELECT gen_random_uuid(), (ARRAY['bench-shelter', 'bench-legal', 'bench-cso'])[1 + g % 3], 'R-' || g, 1,
				r.sex, r.age_band, r.child, (ARRAY['IS', 'LU', 'MT', 'LI'])[1 + g % 4], (ARRAY['RS', 'RS', 'MK', 'AL', ''])[1 + g % 5],
				2012 + g % 7, r.exploitation_forms, r.identification_status
			FROM generate_series(0, 39) g JOIN bench_ctdc r ON r.n = g`, nil},
		// A few hundred refusals of statistical use, as in real data.
		{`INSERT INTO consents (id, case_id, purpose, decision, state, given_time, recorded_by)
			SELECT gen_random_uuid(), id, 3, 2, 1, now(), 'bench' FROM cases TABLESAMPLE SYSTEM (0.05)`, nil},
		{`VACUUM ANALYZE cases`, nil},
		{`VACUUM ANALYZE consents`, nil},
	} {
		if _, err := pool.Exec(ctx, st.sql, st.args...); err != nil {
			b.Fatal(err)
		}
	}
	svc := stats.New(pool, stats.DefaultK)
	ctx = authz.WithPrincipal(ctx, authz.Principal{Subject: "coordinator@bench", Memberships: map[string][]string{"network": {"coordinator"}}})
	bump := func(b *testing.B) {
		// Any write to the cases bumps it; this one changes no count.
		if _, err := pool.Exec(ctx, `UPDATE stats_population SET version = version + 1 WHERE organization_id = 'bench-shelter'`); err != nil {
			b.Fatal(err)
		}
	}
	yearCountrySex := &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{dYear, dCountry, dSex}}
	for _, bc := range []struct {
		name   string
		req    *casebridgev1.CountCasesRequest
		cached bool
	}{
		{"year-country-sex", yearCountrySex, false},
		{"year-country-sex-repeat", yearCountrySex, true},
		{"year-nationality-form", &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{dYear, dNat, dForm}}, false},
		{"orgkind-sex-age", &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{dOrgKind, dSex, dAge}}, false},
		{"country-year-status-filtered", &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{dCountry, dYear, dStatus},
			Filter: &casebridgev1.StatsFilter{Sexes: []casebridgev1.Sex{casebridgev1.Sex_SEX_FEMALE}, Years: []int32{2016, 2017, 2018}}}, false},
		// The forty rare cases make small cells here: the audit solves.
		{"year-nationality-sex", &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{dYear, dNat, dSex}}, false},
		{"year-nationality-sex-2012-2013", &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{dYear, dNat, dSex},
			Filter: &casebridgev1.StatsFilter{Years: []int32{2012, 2013}}}, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var took, audits []time.Duration
			largest, rounds, cells, withheld, exhausted := 0, 0, 0, 0, 0
			if bc.cached {
				if _, err := svc.CountCases(ctx, bc.req); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				if !bc.cached {
					b.StopTimer()
					bump(b)
					b.StartTimer()
				}
				start := time.Now()
				resp, err := svc.CountCases(ctx, bc.req)
				if err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
				if bc.cached != resp.GetRelease().GetRepeated() {
					b.Fatalf("repeated %v, want %v", resp.GetRelease().GetRepeated(), bc.cached)
				}
				if !bc.cached {
					a := stats.LastAudit(svc)
					audits = append(audits, a.Duration)
					largest = max(largest, a.Largest)
					rounds = max(rounds, a.Rounds)
					if a.Exhausted {
						exhausted = 1
					}
				}
				cells, withheld = 0, 0
				for _, c := range append(resp.GetCells(), resp.GetTotals()...) {
					cells++
					if c.GetSuppressed() {
						withheld++
					}
				}
				if resp.GetTotals()[0].GetCount() < n*99/100 && bc.req.GetFilter() == nil {
					b.Fatalf("grand total %d", resp.GetTotals()[0].GetCount())
				}
			}
			p50 := medianDuration(took)
			b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
			if len(audits) > 0 {
				a50 := medianDuration(audits)
				b.ReportMetric(float64(a50.Microseconds())/1000, "audit-p50-ms")
				b.ReportMetric(100*float64(a50)/float64(p50), "audit-share-%")
				b.ReportMetric(float64(largest), "largest-lp")
				b.ReportMetric(float64(rounds), "audit-rounds")
				b.ReportMetric(float64(exhausted), "exhausted")
			}
			b.ReportMetric(float64(cells), "cells")
			b.ReportMetric(float64(withheld), "withheld")
		})
	}
}

func medianDuration(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
