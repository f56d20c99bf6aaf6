package cases_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// BenchmarkGetCaseDecryption reads the same cases over real gRPC with all
// four classes decrypted (FULL) and without decryption (BASIC), alternating
// in one run, and reports each view's p50 and the cost of decryption. It
// also reports the bytes stored per encrypted case against the plaintext.
//
//	go test -run '^$' -bench GetCaseDecryption -benchtime 3000x ./services/cases/
func BenchmarkGetCaseDecryption(b *testing.B) {
	env := servertest.Start(b)
	cs := env.Cases()
	ctx := env.As(b, caseworker)
	var ids []string
	var plain int
	for range 100 {
		c := newCase()
		resp, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: c})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, resp.GetCase().GetId())
		plain += proto.Size(c.GetIdentity()) + proto.Size(c.GetContact()) + proto.Size(c.GetCare()) + proto.Size(c.GetLegal())
	}
	var stored int
	if err := env.Pool.QueryRow(context.Background(), `SELECT sum(length(ciphertext)) FROM case_secrets`).Scan(&stored); err != nil {
		b.Fatal(err)
	}
	var wrapped int
	if err := env.Pool.QueryRow(context.Background(), `SELECT sum(length(wrapped)) FROM case_keys`).Scan(&wrapped); err != nil {
		b.Fatal(err)
	}
	views := []casebridgev1.CaseView{casebridgev1.CaseView_CASE_VIEW_BASIC, casebridgev1.CaseView_CASE_VIEW_FULL}
	samples := map[casebridgev1.CaseView][]time.Duration{}
	for _, id := range ids { // warm the key cache, as a running server's would be
		if _, err := cs.GetCase(ctx, &casebridgev1.GetCaseRequest{Id: id}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		view := views[i%2]
		start := time.Now()
		if _, err := cs.GetCase(ctx, &casebridgev1.GetCaseRequest{Id: ids[i%len(ids)], View: view}); err != nil {
			b.Fatal(err)
		}
		samples[view] = append(samples[view], time.Since(start))
	}
	b.StopTimer()
	p50 := func(v casebridgev1.CaseView) float64 {
		s := samples[v]
		if len(s) == 0 {
			return 0
		}
		slices.Sort(s)
		return float64(s[len(s)/2].Microseconds())
	}
	basic, full := p50(views[0]), p50(views[1])
	b.ReportMetric(basic, "p50-basic-µs")
	b.ReportMetric(full, "p50-full-µs")
	if basic > 0 {
		b.ReportMetric(100*(full-basic)/basic, "decryption-%")
	}
	b.ReportMetric(float64(plain)/100, "plaintext-B/case")
	b.ReportMetric(float64(stored+wrapped)/100, "stored-B/case")
}
