package stats_test

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// seedCases adds n cases straight to the database: female and male in
// turn, 2020 and 2021 in turn, half each in shelter-a and cso-c.
func seedCases(t *testing.T, pool *pgxpool.Pool, n int, tag string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `INSERT INTO cases (id, organization_id, reference, status, sex, age_band, child,
			nationality, country, identification_year, exploitation_forms, identification_status)
		SELECT gen_random_uuid(), (ARRAY['shelter-a', 'cso-c'])[1 + g % 2], $2 || g, 1, 1 + g % 2, 3, 2, 'UA', 'RS',
			2020 + (g / 2) % 2, '{1}', 1
		FROM generate_series(1, $1) g`, n, "N-"+tag+"-"); err != nil {
		t.Fatal(err)
	}
}

// withBudget sets the noisy mode's budgets of a test server.
func withBudget(query, network, coordinator string) servertest.Option {
	return func(c *server.Config) {
		c.StatsNoiseEpsilon, c.StatsBudgetNetwork, c.StatsBudgetCoordinator = query, network, coordinator
	}
}

func noisyCount(ctx context.Context, st casebridgev1.StatsServiceClient, dims ...casebridgev1.Dimension) (*casebridgev1.CountCasesResponse, error) {
	return st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: dims, Noisy: true})
}

// cellMap keys a response's counts by their values, in any dimension order.
func cellMap(resp *casebridgev1.CountCasesResponse) map[string]int64 {
	out := map[string]int64{}
	for _, c := range append(append([]*casebridgev1.Cell(nil), resp.GetCells()...), resp.GetTotals()...) {
		var parts []string
		for _, v := range c.GetValues() {
			parts = append(parts, v.GetDimension().String()+"="+v.GetValue())
		}
		key := strings.Join(sortedCopy(parts), ",")
		out[key] = c.GetCount()
	}
	return out
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestNoisyCountsEndToEnd: a noisy count over gRPC says its mechanism and
// ε, withholds nothing, stays near the truth, and spends the budget once;
// the same table asked again (in any dimension order) over the unchanged
// population is the same answer and spends nothing, and after a change of
// the population it is a new release, paid again.
func TestNoisyCountsEndToEnd(t *testing.T) {
	env := servertest.Start(t)
	seedCases(t, env.Pool, 400, "a")
	st := client(env)
	ctx := env.As(t, coordinator)

	resp, err := noisyCount(ctx, st, dSex, dYear)
	if err != nil {
		t.Fatal(err)
	}
	rel := resp.GetRelease()
	if rel.GetMechanism() != casebridgev1.Mechanism_MECHANISM_DISCRETE_LAPLACE || rel.GetEpsilon().GetNumerator() != 1 ||
		rel.GetEpsilon().GetDenominator() != 2 || rel.GetRepeated() || !strings.Contains(rel.GetDescription(), "ε = 1/2") {
		t.Fatalf("release %v: want discrete Laplace, ε = 1/2, fresh", rel)
	}
	// Levels {}, {sex}, {year}, {sex, year}: one case changes 4 counts.
	if rel.GetSensitivity() != 4 {
		t.Errorf("sensitivity %d, want 4", rel.GetSensitivity())
	}
	got := cellMap(resp)
	// 100 cases per sex and year; scale Δ/ε = 8, so |noise| > 150 has
	// probability below 1e-8 per count.
	for key, want := range map[string]int64{
		"": 400, "DIMENSION_SEX=SEX_MALE": 200, "DIMENSION_YEAR=2020": 200,
		"DIMENSION_SEX=SEX_FEMALE,DIMENSION_YEAR=2021": 100,
	} {
		if d := got[key] - want; d > 150 || d < -150 {
			t.Errorf("noisy %q = %d, true %d", key, got[key], want)
		}
	}
	for _, c := range append(resp.GetCells(), resp.GetTotals()...) {
		if c.GetSuppressed() || c.GetCount() < 0 {
			t.Fatalf("noisy cell %v withheld or negative", c)
		}
	}
	if len(resp.GetCells()) < 4 {
		t.Fatalf("%d cells: the four real ones are missing", len(resp.GetCells()))
	}
	// The domain's empty cells get noise too: year 1990 has no case, and
	// with probability about 1/2 is listed with a positive noisy count
	// per draw; over the ~150 empty year×sex cells some are listed.
	empty := 0
	for _, c := range resp.GetCells() {
		for _, v := range c.GetValues() {
			if v.GetDimension() == dYear && v.GetValue() != "2020" && v.GetValue() != "2021" {
				empty++
			}
		}
	}
	if empty == 0 {
		t.Error("no empty cell of the domain was listed: empty cells get no noise, so absence gives them away")
	}

	budget := func() *casebridgev1.GetPrivacyBudgetResponse {
		b, err := st.GetPrivacyBudget(ctx, &casebridgev1.GetPrivacyBudgetRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b := budget()
	if sp := b.GetCoordinatorBudget().GetSpent(); b.GetNetwork() != "network" || sp.GetNumerator() != 1 || sp.GetDenominator() != 2 ||
		b.GetCoordinatorBudget().GetQueriesLeft() != 3 || b.GetNetworkBudget().GetQueriesLeft() != 7 {
		t.Fatalf("budget after one query: %v", b)
	}

	again, err := noisyCount(ctx, st, dYear, dSex)
	if err != nil {
		t.Fatal(err)
	}
	if !again.GetRelease().GetRepeated() {
		t.Error("the same table in another order was released afresh: its noise could be averaged away")
	}
	for key, v := range cellMap(again) {
		if got[key] != v {
			t.Fatalf("repeat: %q = %d, first answer %d", key, v, got[key])
		}
	}
	if q := budget().GetCoordinatorBudget().GetQueriesLeft(); q != 3 {
		t.Fatalf("a repeated answer spent budget: %d queries left", q)
	}

	seedCases(t, env.Pool, 10, "b")
	fresh, err := noisyCount(ctx, st, dSex, dYear)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.GetRelease().GetRepeated() {
		t.Fatal("a changed population was answered from the cache")
	}
	if q := budget().GetCoordinatorBudget().GetQueriesLeft(); q != 2 {
		t.Fatalf("a new release spent nothing: %d queries left", q)
	}

	// Every spending is on the call's audit event.
	var details []string
	for range 100 { // events may be written just after the answer
		details = nil
		err := env.Pool.QueryRow(context.Background(), `SELECT details FROM audit_events
			WHERE method = '/casebridge.v1.StatsService/CountCases' AND subject = $1 ORDER BY seq LIMIT 1`, coordinator).Scan(&details)
		if err == nil {
			break
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d := strings.Join(details, " "); !strings.Contains(d, "privacy=spent") || !strings.Contains(d, "epsilon=1/2") || !strings.Contains(d, "network=network") {
		t.Errorf("audit details %q: the spending is not on record", details)
	}
}

// TestPrivacyBudgetRefusesWhenSpent: with a coordinator budget of two
// queries, concurrent distinct noisy queries get exactly two answers; the
// rest are ResourceExhausted with the time the budget comes back, the
// ledger holds two spendings, and exact counts are still answered.
func TestPrivacyBudgetRefusesWhenSpent(t *testing.T) {
	env := servertest.Start(t, withBudget("1/2", "10", "1"))
	seedCases(t, env.Pool, 60, "a")
	st := client(env)
	ctx := env.As(t, coordinator)
	tables := [][]casebridgev1.Dimension{{dSex}, {dYear}, {dSex, dYear}, {dAge}, {dChild}, {dStatus}}
	var wg sync.WaitGroup
	errs := make([]error, len(tables))
	for i, dims := range tables {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = noisyCount(ctx, st, dims...)
		}()
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, err := range errs {
		switch codeOf(err) {
		case codes.OK:
			ok++
		case codes.ResourceExhausted:
			refused++
			st, _ := status.FromError(err)
			if !strings.Contains(st.Message(), "budget") {
				t.Errorf("refusal %q does not say why", st.Message())
			}
			var retry bool
			for _, d := range st.Details() {
				if ri, isRetry := d.(*errdetails.RetryInfo); isRetry && ri.GetRetryDelay().AsDuration() > 0 {
					retry = true
				}
			}
			if !retry {
				t.Errorf("refusal without RetryInfo: the client is not told when the budget returns")
			}
		default:
			t.Fatalf("noisy query: %v", err)
		}
	}
	if ok != 2 || refused != len(tables)-2 {
		t.Fatalf("%d answered, %d refused; want 2 answered on a budget of two queries", ok, refused)
	}
	var spends int
	if err := env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM stats_privacy_spends`).Scan(&spends); err != nil {
		t.Fatal(err)
	}
	if spends != 2 {
		t.Fatalf("%d spendings recorded, want 2", spends)
	}
	b, err := st.GetPrivacyBudget(ctx, &casebridgev1.GetPrivacyBudgetRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if b.GetCoordinatorBudget().GetQueriesLeft() != 0 || b.GetCoordinatorBudget().GetRemaining().GetNumerator() != 0 {
		t.Fatalf("budget %v: want nothing left", b.GetCoordinatorBudget())
	}
	if _, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{dSex}}); err != nil {
		t.Fatalf("an exact count after the budget is spent: %v", err)
	}
}

// TestNetworkBudgetSharedByCoordinators: two coordinators of one network
// each within their own budget still cannot spend past the network's.
func TestNetworkBudgetSharedByCoordinators(t *testing.T) {
	env := servertest.Start(t, withBudget("1/2", "1", "1"))
	seedCases(t, env.Pool, 60, "a")
	if _, err := env.Pool.Exec(context.Background(), `INSERT INTO memberships (organization_id, subject, roles)
		VALUES ('network', 'second@network', '{coordinator}')`); err != nil {
		t.Fatal(err)
	}
	st := client(env)
	if _, err := noisyCount(env.As(t, coordinator), st, dSex); err != nil {
		t.Fatal(err)
	}
	second := env.As(t, "second@network")
	var err error
	for range 50 { // the membership reaches the server's cache by NOTIFY
		if _, err = noisyCount(second, st, dYear); codeOf(err) != codes.PermissionDenied {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	_, err = noisyCount(env.As(t, coordinator), st, dAge)
	if codeOf(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "network") {
		t.Fatalf("a third query on a network budget of two: %v", err)
	}
	b, err := st.GetPrivacyBudget(second, &casebridgev1.GetPrivacyBudgetRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if b.GetNetworkBudget().GetQueriesLeft() != 0 || b.GetCoordinatorBudget().GetQueriesLeft() != 1 {
		t.Fatalf("second coordinator's view: %v", b)
	}
}

// TestNoisyExportAndRefusals: a noisy CSV export heads its counts
// noisy_count and states its mechanism on the first chunk; the CTDC layout
// and a table whose domain is too large are refused, naming the field.
func TestNoisyExportAndRefusals(t *testing.T) {
	env := servertest.Start(t)
	seedCases(t, env.Pool, 60, "a")
	st := client(env)
	ctx := env.As(t, coordinator)
	stream, err := st.ExportCases(ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CSV,
		Dimensions: []casebridgev1.Dimension{dSex, dYear}, Noisy: true})
	if err != nil {
		t.Fatal(err)
	}
	var file []byte
	var rel *casebridgev1.Release
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rel == nil {
			rel = msg.GetRelease()
		}
		file = append(file, msg.GetChunk()...)
	}
	// Cells only: one case changes one count.
	if rel.GetMechanism() != casebridgev1.Mechanism_MECHANISM_DISCRETE_LAPLACE || rel.GetSensitivity() != 1 {
		t.Fatalf("export release %v", rel)
	}
	recs, err := csv.NewReader(strings.NewReader(string(file))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "sex,year,noisy_count,withheld_reason" {
		t.Fatalf("header %q", recs[0])
	}
	for _, r := range recs[1:] {
		if r[2] == "withheld" || r[3] != "" {
			t.Fatalf("noisy row %q withheld", r)
		}
	}
	ctdc, err := st.ExportCases(ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CTDC, Noisy: true})
	if err == nil {
		_, err = ctdc.Recv()
	}
	servertest.WantField(t, err, "noisy")
	_, err = noisyCount(ctx, st, dNat, dCountry, dYear)
	servertest.WantField(t, err, "dimensions")
	_, err = st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{dSex}, Noisy: true, Network: "shelter-a"})
	servertest.WantField(t, err, "network")
	// Filtering the wide dimensions narrows the domain enough.
	if _, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{dNat, dCountry, dYear}, Noisy: true,
		Filter: &casebridgev1.StatsFilter{Years: []int32{2020}}}); err != nil {
		t.Fatalf("a filtered noisy table: %v", err)
	}
}
