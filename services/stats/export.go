package stats

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/disclosure"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// maxCountDims is the most dimensions an exact table has, CountCases'
// and ExportCases' alike: every exact table is audited with all its
// levels of totals, and four dimensions already took that audit past the
// 20 s a statistics call may take (14,000 cases), so a wider exact table
// could not be checked as every table is. (Three dimensions with many
// small cells can run out too; such a table is then withheld.)
const maxCountDims = 3

// maxNoisyExportDims is the most dimensions a noisy export has: noise
// needs no audit, only a domain small enough to count (maxNoisyCounts).
const maxNoisyExportDims = 9

// chunkSize is the largest piece of file one ExportCasesResponse carries.
const chunkSize = 64 << 10

// defaultExportDims are the dimensions of a CSV export that names none.
var defaultExportDims = []casebridgev1.Dimension{
	casebridgev1.Dimension_DIMENSION_YEAR,
	casebridgev1.Dimension_DIMENSION_COUNTRY,
	casebridgev1.Dimension_DIMENSION_SEX,
}

// checkExactDims refuses an exact table of more dimensions than the
// audit can check.
func checkExactDims(dims []casebridgev1.Dimension) error {
	if len(dims) > maxCountDims {
		return rpcerr.InvalidArgument("dimensions", "an exact table has at most %d dimensions, %d were asked: the check that no withheld figure can be worked out from the others cannot be made for more; ask for fewer, or for a noisy export (noisy), which takes up to %d", maxCountDims, len(dims), maxNoisyExportDims)
	}
	return nil
}

// ExportCases writes the protected cross-table as a CSV file: one row per
// cell with at least one case, a count column ("withheld" for a withheld
// count) and the reason it was withheld; totals are not written. An exact
// export is the very table CountCases answers for the same dimensions and
// filter, cell for cell, protected and audited the same way with all its
// totals (which anyone may ask for), and so has at most three dimensions;
// a noisy one may have more. Filters are refused exactly as in
// CountCases, so an export never holds a row about one person — not even
// in the CTDC layout, whose rows are aggregated too.
func (s *Service) ExportCases(req *casebridgev1.ExportCasesRequest, stream casebridgev1.StatsService_ExportCasesServer) error {
	ctx := stream.Context()
	auditExport(ctx, req)
	if _, err := authz.Caller(ctx); err != nil {
		return err
	}
	var t *tableSpec
	var err error
	switch req.GetFormat() {
	case casebridgev1.ExportFormat_EXPORT_FORMAT_CTDC:
		if req.GetNoisy() {
			return rpcerr.InvalidArgument("noisy", "the CTDC layout is exported exact only: its columns combine several attributes, so they have no fixed set of values to add noise over")
		}
		t, err = ctdcTable(req.GetDimensions(), req.GetFilter())
	default:
		dims := req.GetDimensions()
		if len(dims) == 0 {
			dims = defaultExportDims
		}
		if !req.GetNoisy() {
			if err := checkExactDims(dims); err != nil {
				return err
			}
		}
		t, err = tableFor(dims, req.GetFilter())
	}
	if err != nil {
		return err
	}
	t.cellsOnly = true
	var tab *disclosure.Table
	var rel *casebridgev1.Release
	if req.GetNoisy() {
		tab, rel, err = s.noisy(ctx, t, req.GetNetwork(), "ExportCases")
	} else {
		tab, rel, err = s.count(ctx, t)
	}
	if err != nil {
		return err
	}
	file, err := s.writeCSV(t, tab, req.GetNoisy())
	if err != nil {
		return err
	}
	first := &casebridgev1.ExportCasesResponse{Release: rel}
	for first != nil || len(file) > 0 {
		msg := first
		if msg == nil {
			msg = &casebridgev1.ExportCasesResponse{}
		}
		first = nil
		n := min(len(file), chunkSize)
		msg.Chunk = file[:n]
		if err := stream.Send(msg); err != nil {
			return err
		}
		file = file[n:]
	}
	return nil
}

// writeCSV lays the full cells of a protected table out as CSV. A noisy
// table's count column is headed noisy_count, so that the file alone says
// its figures are not exact.
func (s *Service) writeCSV(t *tableSpec, tab *disclosure.Table, noisy bool) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := make([]string, 0, len(t.columns)+2)
	for _, c := range t.columns {
		if c.header != nil {
			header = append(header, c.header...)
		} else {
			header = append(header, c.name)
		}
	}
	countHeader := "count"
	if noisy {
		countHeader = "noisy_count"
	}
	if err := w.Write(append(header, countHeader, "withheld_reason")); err != nil {
		return nil, fmt.Errorf("write export header: %w", err)
	}
	for _, c := range sortedCells(t, tab.Full()) {
		count, reason := "withheld", reasonText(withheldReason(c.Reason), s.k)
		if !c.Suppressed {
			count, reason = strconv.FormatInt(c.Count, 10), ""
		}
		rec := make([]string, 0, len(header)+2)
		for i, col := range t.columns {
			if col.header != nil {
				rec = append(rec, strings.Split(c.Values[i], ctdcSep)...)
			} else {
				rec = append(rec, c.Values[i])
			}
		}
		if err := w.Write(append(rec, count, reason)); err != nil {
			return nil, fmt.Errorf("write export row: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("write export: %w", err)
	}
	return buf.Bytes(), nil
}
