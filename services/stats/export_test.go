package stats_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/ctdc"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// export runs ExportCases and joins the chunks, checking their size.
func export(t *testing.T, st casebridgev1.StatsServiceClient, ctx context.Context, req *casebridgev1.ExportCasesRequest) ([]byte, error) {
	t.Helper()
	stream, err := st.ExportCases(ctx, req)
	if err != nil {
		return nil, err
	}
	var file []byte
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return file, nil
		}
		if err != nil {
			return nil, err
		}
		if len(msg.GetChunk()) > 64<<10 {
			t.Errorf("chunk of %d bytes", len(msg.GetChunk()))
		}
		file = append(file, msg.GetChunk()...)
	}
}

func readCSV(t *testing.T, file []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(file)).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v", err)
	}
	if len(recs) == 0 {
		t.Fatal("export is empty")
	}
	return recs
}

// checkRows compares the data rows of an export with independent counts
// keyed by the row's values joined with "|".
func checkRows(t *testing.T, recs [][]string, want map[string]int64) {
	t.Helper()
	seen := map[string]bool{}
	protecting := 0
	for _, rec := range recs[1:] {
		key := strings.Join(rec[:len(rec)-2], "|")
		seen[key] = true
		n, ok := want[key]
		count, reason := rec[len(rec)-2], rec[len(rec)-1]
		switch {
		case !ok:
			t.Errorf("row %s is not in the file", key)
		case count == "withheld":
			if n >= k {
				protecting++
				if reason == "fewer than 5" {
					t.Errorf("row %s of %d cases labelled %q", key, n, reason)
				}
			} else if reason != "fewer than 5" {
				t.Errorf("row %s of %d cases labelled %q", key, n, reason)
			}
		case count != strconv.FormatInt(n, 10):
			t.Errorf("row %s: %s, the file has %d", key, count, n)
		}
		if count != "withheld" && n < k {
			t.Errorf("row %s of %d cases published", key, n)
		}
	}
	for key, n := range want {
		if !seen[key] && n > 0 {
			t.Errorf("row %s (%d cases) missing", key, n)
		}
	}
	t.Logf("%d rows, %d of them of k cases or more withheld to protect a smaller one", len(recs)-1, protecting)
}

func TestExportCSV(t *testing.T) {
	env, file := startWithCTDC(t)
	st := client(env)
	ctx := env.As(t, coordinator)

	// The default layout: year, country and sex.
	out, err := export(t, st, ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CSV})
	if err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, out)
	if got := strings.Join(recs[0], ","); got != "year,country,sex,count,withheld_reason" {
		t.Fatalf("header %q", got)
	}
	dims := []casebridgev1.Dimension{dYear, dCountry, dSex}
	want := map[string]int64{}
	for key, n := range expected(file, dims, nil) {
		if !strings.Contains(key, "*") {
			want[key] = n
		}
	}
	checkRows(t, recs, want)

	// An exact table has at most three dimensions, the most the audit can
	// check; a noisy export may have more.
	wide := []casebridgev1.Dimension{dYear, dCountry, dSex, dAge, dForm}
	_, err = export(t, st, ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CSV, Dimensions: wide})
	wantInvalid(t, err, "dimensions", "noisy")
	if out, err = export(t, st, ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CSV,
		Dimensions: wide[:4], Noisy: true, Filter: &casebridgev1.StatsFilter{Years: []int32{2018}}}); err != nil {
		t.Fatalf("noisy export of four dimensions: %v", err)
	}
	if got := strings.Join(readCSV(t, out)[0], ","); got != "year,country,sex,age_band,noisy_count,withheld_reason" {
		t.Fatalf("noisy header %q", got)
	}

	// The same cells as CountCases, suppressed the same way.
	dims = []casebridgev1.Dimension{dNat, dSex}
	out, err = export(t, st, ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CSV, Dimensions: dims})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: dims})
	if err != nil {
		t.Fatal(err)
	}
	var fromCount []string
	for _, c := range resp.GetCells() {
		n := "withheld," + map[casebridgev1.WithheldReason]string{
			casebridgev1.WithheldReason_WITHHELD_REASON_PRIMARY:      "fewer than 5",
			casebridgev1.WithheldReason_WITHHELD_REASON_SECONDARY:    "protects another cell",
			casebridgev1.WithheldReason_WITHHELD_REASON_CONTRIBUTOR:  "one organisation",
			casebridgev1.WithheldReason_WITHHELD_REASON_DIFFERENCING: "differencing",
		}[c.GetWithheldReason()]
		if !c.GetSuppressed() {
			n = strconv.FormatInt(c.GetCount(), 10) + ","
		}
		fromCount = append(fromCount, c.GetValues()[0].GetValue()+","+c.GetValues()[1].GetValue()+","+n)
	}
	var fromExport []string
	for _, rec := range readCSV(t, out)[1:] {
		fromExport = append(fromExport, strings.Join(rec, ","))
	}
	if !slices.Equal(fromCount, fromExport) {
		t.Errorf("export rows\n%v\ndiffer from CountCases cells\n%v", fromExport, fromCount)
	}
}

// ctdcKey is the key of a case's row in a CTDC export of the given
// attributes: its CTDC values joined with "|".
func ctdcKey(c *casebridgev1.CodedAttributes, dims ...casebridgev1.Dimension) string {
	var vs []string
	for _, d := range dims {
		vs = append(vs, ctdc.AttributeOf(d).Values(c)...)
	}
	return strings.Join(vs, "|")
}

// wantInvalid fails unless err is InvalidArgument naming field and
// saying hint.
func wantInvalid(t *testing.T, err error, field, hint string) {
	t.Helper()
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), hint) {
		t.Fatalf("got %v, want InvalidArgument naming %q and saying %q", err, field, hint)
	}
}

func TestExportCTDC(t *testing.T) {
	env, file := startWithCTDC(t)
	st := client(env)
	ctx := env.As(t, coordinator)

	// The default attributes: year, sex and age band, in CTDC's columns
	// and words (over two years, a table the audit checks quickly even
	// under the race detector).
	years := &casebridgev1.StatsFilter{Years: []int32{2017, 2018}}
	out, err := export(t, st, ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CTDC, Filter: years})
	if err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, out)
	if got := strings.Join(recs[0], ","); got != "yearOfRegistration,gender,ageCategories,count,withheld_reason" {
		t.Fatalf("header %q", got)
	}
	want := map[string]int64{}
	for _, c := range file {
		if y := c.coded.GetIdentificationYear(); y == 2017 || y == 2018 {
			want[ctdcKey(c.coded, dYear, dSex, dAge)]++
		}
	}
	checkRows(t, recs, want)
	var cases int64
	for _, n := range want {
		cases += n
	}
	if int64(len(recs)-1) >= cases {
		t.Errorf("%d rows for %d cases: not aggregated", len(recs)-1, cases)
	}

	// The forms fill three columns, written from each case's whole set of
	// forms, so every case counts once; filters apply too.
	dims := []casebridgev1.Dimension{dAge, dForm}
	out, err = export(t, st, ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CTDC,
		Dimensions: dims, Filter: &casebridgev1.StatsFilter{Years: []int32{2018}}})
	if err != nil {
		t.Fatal(err)
	}
	recs = readCSV(t, out)
	if got := strings.Join(recs[0], ","); got != "ageCategories,isForcedLabour,ExploitType,Labor_Type,count,withheld_reason" {
		t.Fatalf("header %q", got)
	}
	want = map[string]int64{}
	for _, c := range file {
		if c.coded.GetIdentificationYear() == 2018 {
			want[ctdcKey(c.coded, dims...)]++
		}
	}
	checkRows(t, recs, want)

	// The same table as CountCases would protect: at most three
	// attributes, and only those CTDC has.
	_, err = export(t, st, ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CTDC,
		Dimensions: []casebridgev1.Dimension{dYear, dSex, dNat, dAge}})
	wantInvalid(t, err, "dimensions", "at most 3")
	_, err = export(t, st, ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CTDC,
		Dimensions: []casebridgev1.Dimension{dYear, dCountry}})
	wantInvalid(t, err, "dimensions", "no column")
}
