package limits_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/limits"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// retryWithin checks a ResourceExhausted error whose retry delay is
// positive and at most the quota period.
func retryWithin(t *testing.T, err error, period time.Duration, what string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("%s: %v, want ResourceExhausted", what, err)
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			if d := ri.GetRetryDelay().AsDuration(); d <= 0 || d > period {
				t.Fatalf("%s: retry in %s, want within the quota period %s", what, d, period)
			}
			return
		}
	}
	t.Fatalf("%s: ResourceExhausted without RetryInfo: %v", what, err)
}

// An organisation creates at most its quota of cases per period, through
// CreateCase and ImportCases together and however many members create at
// once; beyond it both are ResourceExhausted until the period ends, and
// another organisation is not affected.
func TestCaseQuota(t *testing.T) {
	const period = 24 * time.Hour
	env := servertest.Start(t, withLimits(func(c *limits.Config) {
		c.CaseQuota = limits.CaseQuota{Cases: limit, Period: period}
	}))
	cs := env.Cases()
	members := []context.Context{env.As(t, "caseworker@shelter-a"), env.As(t, "supervisor@shelter-a")}
	newCase := func(ctx context.Context) error {
		_, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
			Coded: &casebridgev1.CodedAttributes{Nationality: "UA", Country: "RS"}}})
		return err
	}
	// 40 created at once by two members, then an import of 20 rows: 10 fit.
	const created, rows = 40, attack - 40
	var wg sync.WaitGroup
	errs := make(chan error, created)
	for i := range created {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- newCase(members[i%2]) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("create within the quota: %v", err)
		}
	}
	stream, err := cs.ImportCases(members[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Header{
		Header: &casebridgev1.ImportHeader{Source: "quota.csv"}}}); err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if err := stream.Send(&casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Row{Row: &casebridgev1.ImportRow{
			Line: int64(i + 1), Coded: &casebridgev1.CodedAttributes{Sex: casebridgev1.Sex_SEX_FEMALE, IdentificationYear: 2024}}}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = stream.CloseAndRecv()
	retryWithin(t, err, period, "an import beyond the quota")
	if want := fmt.Sprintf("%d rows of this stream were imported", limit-created); !strings.Contains(err.Error(), want) {
		t.Fatalf("the refusal does not say how far the import got (%q): %v", want, err)
	}
	// Spent: a create from either member is refused, 10 more attempts too.
	for i := range attack - limit {
		retryWithin(t, newCase(members[i%2]), period, "a create beyond the quota")
	}
	var n int
	if err := env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM cases WHERE organization_id = 'shelter-a'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != limit {
		t.Fatalf("shelter-a holds %d cases, want its quota of %d", n, limit)
	}
	// Another organisation creates as usual.
	if err := newCase(env.As(t, "caseworker@cso-c")); err != nil {
		t.Fatalf("another organisation was refused: %v", err)
	}
}
