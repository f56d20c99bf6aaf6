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

	// The default layout.
	out, err := export(t, st, ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CSV})
	if err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, out)
	if got := strings.Join(recs[0], ","); got != "year,country,sex,age_band,exploitation_form,count,withheld_reason" {
		t.Fatalf("header %q", got)
	}
	dims := []casebridgev1.Dimension{dYear, dCountry, dSex, dAge, dForm}
	want := map[string]int64{}
	for key, n := range expected(file, dims, nil) {
		if !strings.Contains(key, "*") {
			want[key] = n
		}
	}
	checkRows(t, recs, want)

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

func TestExportCTDC(t *testing.T) {
	env, file := startWithCTDC(t)
	st := client(env)
	ctx := env.As(t, coordinator)
	out, err := export(t, st, ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CTDC})
	if err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, out)
	if !slices.Equal(recs[0], append(ctdc.Columns(), "count", "withheld_reason")) {
		t.Fatalf("header %v, want %v + count, withheld_reason", recs[0], ctdc.Columns())
	}
	// Aggregated rows in CTDC's layout: the file's cases written through
	// the standard's columns and counted here.
	want := map[string]int64{}
	for _, c := range file {
		want[strings.Join(ctdc.Record(c.coded), "|")]++
	}
	checkRows(t, recs, want)
	if len(recs)-1 >= len(file) {
		t.Errorf("%d rows for %d cases: not aggregated", len(recs)-1, len(file))
	}

	// Filters apply to the CTDC layout too.
	out, err = export(t, st, ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CTDC,
		Filter: &casebridgev1.StatsFilter{Years: []int32{2018}}})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]int64{}
	for _, c := range file {
		if c.coded.GetIdentificationYear() == 2018 {
			want[strings.Join(ctdc.Record(c.coded), "|")]++
		}
	}
	checkRows(t, readCSV(t, out), want)
}
