//go:build auditperf

// The GetCase measurements build the real CaseService, so they live behind
// a build tag: the audit package's own tests must not break when another
// service does not compile. Run them with
//
//	go test -tags auditperf -run XXX -bench GetCase ./internal/audit/
//	CASEBRIDGE_PERF=1 go test -tags auditperf -run GetCaseAuditOverhead -v ./internal/audit/

package audit_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/testdb"
	"github.com/casebridge/casebridge/internal/validation"
	"github.com/casebridge/casebridge/internal/vault"
	"github.com/casebridge/casebridge/policies"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/casebridge/casebridge/services/cases"
)

// getCaseBench is the real CaseService.GetCase handler (access check, case
// row, case key from the cache, decryption of four classes) over cases
// created through CreateCase, called as the server calls it: plain, or
// audited — the audit interceptor around it and the read's event made
// durable (Recorder.Read) before the response is returned.
type getCaseBench struct {
	ids     []string
	plain   func(ctx context.Context, id string) error
	audited func(ctx context.Context, id string) error
}

func newGetCaseBench(tb testing.TB) *getCaseBench {
	pool := testdb.New(tb)
	ctx := context.Background()
	keyring, err := vault.LoadKeyring(filepath.Join(tb.TempDir(), "keys"))
	if err != nil {
		tb.Fatal(err)
	}
	km := keys.NewManager(pool, keyring, vault.NewKeyCache(50_000, 10*time.Minute), nil)
	tb.Cleanup(km.Close)
	engine, err := authz.NewEngine(policies.Files(), authz.EngineOptions{PollInterval: -1})
	if err != nil {
		tb.Fatal(err)
	}
	v, err := validation.New()
	if err != nil {
		tb.Fatal(err)
	}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO organizations (id, display_name, kind, reference_prefix) VALUES ('shelter-a', 'Shelter A', 1, 'SHA')`); err != nil {
			return err
		}
		_, err := km.EnsureOrgKey(ctx, tx, "shelter-a")
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	svc := cases.New(pool, engine, km, v)
	const subject = "caseworker@shelter-a"
	principal := authz.Principal{Subject: subject, Memberships: map[string][]string{"shelter-a": {"caseworker"}}}
	authenticated := requestid.With(authn.WithCaller(ctx, authn.Caller{Subject: subject}), "bench")
	handlerCtx := authz.WithPrincipal(authenticated, principal)

	g := &getCaseBench{}
	for range 200 {
		resp, err := svc.CreateCase(handlerCtx, &casebridgev1.CreateCaseRequest{
			OrganizationId: "shelter-a",
			Case: &casebridgev1.Case{
				Coded: &casebridgev1.CodedAttributes{
					Sex: casebridgev1.Sex_SEX_FEMALE, AgeBand: casebridgev1.AgeBand_AGE_BAND_18_20,
					Child: casebridgev1.ChildStatus_CHILD_STATUS_ADULT, Nationality: "UA", Country: "RS",
					IdentificationYear:   2025,
					ExploitationForms:    []casebridgev1.ExploitationForm{casebridgev1.ExploitationForm_EXPLOITATION_FORM_SEXUAL},
					IdentificationStatus: casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_PRESUMED,
				},
				Identity: &casebridgev1.IdentityData{GivenNames: "Given", FamilyNames: "Family"},
				Contact:  &casebridgev1.ContactData{Phone: "+381-60-0000000", CurrentLocation: "Somewhere"},
				Care:     &casebridgev1.CareData{HealthNotes: "Notes"},
				Legal:    &casebridgev1.LegalData{ExploitationAccount: "Account"},
			},
		})
		if err != nil {
			tb.Fatal(err)
		}
		g.ids = append(g.ids, resp.GetCase().GetId())
	}

	rec := audit.NewRecorder(pool, nil, audit.Options{})
	rctx, cancel := context.WithCancel(ctx)
	rec.Start(rctx)
	tb.Cleanup(func() {
		rec.Close()
		cancel()
	})
	unary, _ := rec.Interceptors(audit.Services(audit.DefaultServices...))
	info := &grpc.UnaryServerInfo{FullMethod: casebridgev1.CaseService_GetCase_FullMethodName}

	g.plain = func(_ context.Context, id string) error {
		_, err := svc.GetCase(handlerCtx, &casebridgev1.GetCaseRequest{Id: id, View: casebridgev1.CaseView_CASE_VIEW_FULL})
		return err
	}
	// What GetCase does once it records its read: the event names the
	// classes it returns and is durable before the response leaves.
	handler := func(ctx context.Context, req any) (any, error) {
		ctx = authz.WithPrincipal(ctx, principal) // the authorization interceptor runs after audit's
		resp, err := svc.GetCase(ctx, req.(*casebridgev1.GetCaseRequest))
		if err != nil {
			return nil, err
		}
		c := resp.GetCase()
		classes := make([]string, 0, 4)
		for _, x := range []struct {
			name    string
			present bool
		}{{"identity", c.GetIdentity() != nil}, {"contact", c.GetContact() != nil}, {"care", c.GetCare() != nil}, {"legal", c.GetLegal() != nil}} {
			if x.present {
				classes = append(classes, x.name)
			}
		}
		if err := rec.Read(ctx, "shelter-a", c.GetId(), classes); err != nil {
			return nil, err
		}
		return resp, nil
	}
	g.audited = func(_ context.Context, id string) error {
		_, err := unary(authenticated, &casebridgev1.GetCaseRequest{Id: id, View: casebridgev1.CaseView_CASE_VIEW_FULL}, info, handler)
		return err
	}
	// Warm the case key cache, as a running server's would be.
	for _, id := range g.ids {
		if err := g.plain(ctx, id); err != nil {
			tb.Fatal(err)
		}
	}
	return g
}

// run calls f from 32 goroutines per CPU until d has passed and returns
// the calls per second.
func (g *getCaseBench) run(tb testing.TB, f func(context.Context, string) error, d time.Duration) float64 {
	workers := 32 * runtime.GOMAXPROCS(0)
	var calls atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; time.Now().Before(deadline); i++ {
				if err := f(context.Background(), g.ids[i%len(g.ids)]); err != nil {
					tb.Error(err)
					return
				}
				calls.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(calls.Load()) / time.Since(start).Seconds()
}

// BenchmarkGetCase measures GetCase plain and audited; compare the two
// ns/op (on a quiet machine: other load makes single runs noisy, see
// TestGetCaseAuditOverhead for the paired measurement).
func BenchmarkGetCase(b *testing.B) {
	g := newGetCaseBench(b)
	for _, tc := range []struct {
		name string
		f    func(context.Context, string) error
	}{{"plain", g.plain}, {"audited", g.audited}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetParallelism(32)
			b.RunParallel(func(pb *testing.PB) {
				for i := 0; pb.Next(); i++ {
					if err := tc.f(context.Background(), g.ids[i%len(g.ids)]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestGetCaseAuditOverhead measures GetCase throughput plain and audited in
// alternating rounds (so that other load on the machine hits both alike)
// and checks that auditing costs at most 15% of it. It takes about 20 s
// and runs only with CASEBRIDGE_PERF=1 (and -tags auditperf).
func TestGetCaseAuditOverhead(t *testing.T) {
	if os.Getenv("CASEBRIDGE_PERF") == "" {
		t.Skip("set CASEBRIDGE_PERF=1 to measure the audit's share of GetCase throughput")
	}
	g := newGetCaseBench(t)
	g.run(t, g.audited, time.Second) // warm up both paths
	g.run(t, g.plain, time.Second)
	const rounds = 8
	overheads := make([]float64, 0, rounds)
	var plainSum, auditedSum float64
	for r := range rounds {
		var plain, audited float64
		if r%2 == 0 {
			plain = g.run(t, g.plain, time.Second)
			audited = g.run(t, g.audited, time.Second)
		} else {
			audited = g.run(t, g.audited, time.Second)
			plain = g.run(t, g.plain, time.Second)
		}
		plainSum += plain
		auditedSum += audited
		overheads = append(overheads, 1-audited/plain)
		t.Logf("round %d: plain %.0f/s, audited %.0f/s, cost %.1f%%", r+1, plain, audited, 100*(1-audited/plain))
	}
	slices.Sort(overheads)
	median := (overheads[rounds/2-1] + overheads[rounds/2]) / 2
	t.Logf("GetCase: plain %.0f/s, audited %.0f/s on average; audit cost: median %.1f%%, overall %.1f%%",
		plainSum/rounds, auditedSum/rounds, 100*median, 100*(1-auditedSum/plainSum))
	if median > 0.15 {
		t.Errorf("auditing costs %.1f%% of GetCase throughput (median of %d rounds), more than 15%%", 100*median, rounds)
	}
}
