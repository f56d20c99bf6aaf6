package stats_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestOnlyCoordinatorsGetStatistics: a caseworker, a lawyer and an
// organisation admin are refused every StatsService method.
func TestOnlyCoordinatorsGetStatistics(t *testing.T) {
	env, _ := startWithCTDC(t)
	st := client(env)
	years := &casebridgev1.GetIndicatorsRequest{Period: &casebridgev1.GetIndicatorsRequest_Years{
		Years: &casebridgev1.YearRange{StartYear: 2016, EndYear: 2018}}}
	for _, who := range []string{caseworker, lawyer, orgAdmin} {
		ctx := env.As(t, who)
		_, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{dYear}})
		wantCode(t, err, codes.PermissionDenied)
		_, err = st.GetIndicators(ctx, years)
		wantCode(t, err, codes.PermissionDenied)
		_, err = export(t, st, ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CSV})
		wantCode(t, err, codes.PermissionDenied)
	}
	_, err := st.CountCases(context.Background(), &casebridgev1.CountCasesRequest{})
	wantCode(t, err, codes.Unauthenticated)
}

// TestCoordinatorNeverSeesARecord calls every StatsService method as a
// coordinator, over the CTDC data plus a case with sensitive fields, and
// looks in every answer for anything that belongs to one record: a case
// id, a reference, an import line, a name. It also checks that the
// coordinator cannot reach records through CaseService.
func TestCoordinatorNeverSeesARecord(t *testing.T) {
	env, _ := startWithCTDC(t)
	st := client(env)

	// One case created through the API, with every sensitive class.
	created, err := env.Cases().CreateCase(env.As(t, caseworker), &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
		Coded:    &casebridgev1.CodedAttributes{Sex: casebridgev1.Sex_SEX_FEMALE, Nationality: "UA", Country: "RS", IdentificationYear: 2018},
		Identity: &casebridgev1.IdentityData{GivenNames: "Marker-Given-4242", FamilyNames: "Marker-Family-4242"},
		Contact:  &casebridgev1.ContactData{CurrentLocation: "Marker-Location-4242"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"Marker-", created.GetCase().GetId(), created.GetCase().GetReference()}
	rows, err := env.Pool.Query(context.Background(), "SELECT id::text, reference FROM cases")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, ref string
		if err := rows.Scan(&id, &ref); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, id, ref)
	}
	rows.Close()

	var answers []string
	look := func(m proto.Message) {
		answers = append(answers, prototext.Format(m))
	}
	for _, dims := range [][]casebridgev1.Dimension{nil, {dYear}, {dNat, dAge}, {dCountry, dSex}, {dYear, dForm}, {dOrgKind, dStatus, dChild}} {
		// Each call has its own, longer deadline: the audit of a table
		// over thousands of cases solves many linear programs, which
		// takes a while under the race detector. (The tables are the
		// small ones that still cover every dimension: what this test
		// looks for is a record in an answer, not a count.)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+env.Token(t, coordinator))
		resp, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: dims})
		if err != nil {
			t.Fatal(err)
		}
		look(resp)
		for _, c := range append(resp.GetCells(), resp.GetTotals()...) {
			if !c.GetSuppressed() && c.GetCount() < k {
				t.Errorf("published count %d < k: %v", c.GetCount(), c)
			}
		}
	}
	ind, err := st.GetIndicators(env.As(t, coordinator), &casebridgev1.GetIndicatorsRequest{Period: &casebridgev1.GetIndicatorsRequest_Years{
		Years: &casebridgev1.YearRange{StartYear: 2012, EndYear: 2026}}})
	if err != nil {
		t.Fatal(err)
	}
	look(ind)
	for _, req := range []*casebridgev1.ExportCasesRequest{
		{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CSV, Dimensions: []casebridgev1.Dimension{dNat, dForm}},
		{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CSV, Dimensions: []casebridgev1.Dimension{dChild, dStatus, dOrgKind}},
		{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CTDC, Dimensions: []casebridgev1.Dimension{dNat, dForm}},
	} {
		out, err := export(t, st, env.As(t, coordinator), req)
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, string(out))
		for _, rec := range readCSV(t, out)[1:] {
			if n := rec[len(rec)-2]; n != "withheld" && must(strconv.Atoi(n)) < k {
				t.Errorf("export row with count %s: %v", n, rec)
			}
		}
	}
	all := strings.Join(answers, "\n")
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("an answer contains %q, which belongs to one record", s)
		}
	}

	// Nor through CaseService: the coordinator has no case permission.
	_, err = env.Cases().GetCase(env.As(t, coordinator), &casebridgev1.GetCaseRequest{Id: created.GetCase().GetId()})
	if code := codeOf(err); code != codes.PermissionDenied && code != codes.NotFound {
		t.Errorf("coordinator GetCase: %v", err)
	}
	list, err := env.Cases().ListCases(env.As(t, coordinator), &casebridgev1.ListCasesRequest{})
	if codeOf(err) != codes.PermissionDenied && len(list.GetCases()) != 0 {
		t.Errorf("coordinator ListCases returned %d cases", len(list.GetCases()))
	}
}
