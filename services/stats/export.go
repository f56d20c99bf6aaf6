package stats

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/disclosure"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// maxCountDims is the most dimensions CountCases takes.
const maxCountDims = 3

// chunkSize is the largest piece of file one ExportCasesResponse carries.
const chunkSize = 64 << 10

// defaultExportDims are the dimensions of a CSV export that names none.
var defaultExportDims = []casebridgev1.Dimension{
	casebridgev1.Dimension_DIMENSION_YEAR,
	casebridgev1.Dimension_DIMENSION_COUNTRY,
	casebridgev1.Dimension_DIMENSION_SEX,
	casebridgev1.Dimension_DIMENSION_AGE_BAND,
	casebridgev1.Dimension_DIMENSION_EXPLOITATION_FORM,
}

// ExportCases writes the protected cross-table as a CSV file: one row per
// cell with at least one case, a count column ("withheld" for a withheld
// count) and the reason it was withheld; totals are not written. Filters are refused exactly as in CountCases,
// and every row goes through the same disclosure control, so an export
// never holds a row about one person — not even in the CTDC layout, whose
// rows are aggregated too.
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
		t, err = ctdcTable(req.GetFilter())
	default:
		dims := req.GetDimensions()
		if len(dims) == 0 {
			dims = defaultExportDims
		}
		t, err = tableFor(dims, req.GetFilter())
	}
	if err != nil {
		return err
	}
	if len(t.columns) > maxCountDims {
		// CountCases publishes up to three dimensions with every level of
		// totals, and an export of as many is protected the same way, so
		// the two agree cell for cell. A wider export publishes its cells
		// only: it is protected along the lines of its cells and their
		// direct totals, not as if its deeper totals were out too, which
		// would withhold most of it for nothing.
		t.levels = 1
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
	header := make([]string, 0, len(t.columns)+1)
	for _, c := range t.columns {
		header = append(header, c.name)
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
		if err := w.Write(append(append([]string(nil), c.Values...), count, reason)); err != nil {
			return nil, fmt.Errorf("write export row: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("write export: %w", err)
	}
	return buf.Bytes(), nil
}
