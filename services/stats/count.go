package stats

import (
	"context"
	"math/bits"
	"slices"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/disclosure"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// CountCases cross-tabulates the usable cases of every organisation by up
// to three coded attributes, with every level of totals. Cells and totals
// below k, or that would give one away, come back suppressed with count 0;
// a filter that narrows the population too far, or that could be
// subtracted from a broader one to single out fewer than k cases, is
// refused with FailedPrecondition.
func (s *Service) CountCases(ctx context.Context, req *casebridgev1.CountCasesRequest) (*casebridgev1.CountCasesResponse, error) {
	auditQuery(ctx, req.GetDimensions(), req.GetFilter())
	if _, err := authz.Caller(ctx); err != nil {
		return nil, err
	}
	t, err := tableFor(req.GetDimensions(), req.GetFilter())
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.CountCasesResponse{Dimensions: req.GetDimensions(), K: int32(s.k)}
	var tab *disclosure.Table
	if req.GetNoisy() {
		tab, resp.Release, err = s.noisy(ctx, t, req.GetNetwork(), "CountCases")
	} else {
		tab, resp.Release, err = s.count(ctx, t)
	}
	if err != nil {
		return nil, err
	}
	for _, c := range sortedCells(t, tab.Full()) {
		resp.Cells = append(resp.Cells, toCell(req.GetDimensions(), c))
	}
	for _, c := range sortedCells(t, tab.Margins()) {
		resp.Totals = append(resp.Totals, toCell(req.GetDimensions(), c))
	}
	return resp, nil
}

// sortedCells orders cells for people reading them: coarser totals first,
// then by each dimension's natural order (years and enums by number).
func sortedCells(t *tableSpec, cells []*disclosure.Cell) []*disclosure.Cell {
	out := slices.Clone(cells)
	slices.SortStableFunc(out, func(a, b *disclosure.Cell) int {
		if d := bits.OnesCount32(a.Has) - bits.OnesCount32(b.Has); d != 0 {
			return d
		}
		if d := byFirstDimension(a.Has, b.Has); d != 0 {
			return d
		}
		for i, col := range t.columns {
			if d := col.compare(a.Values[i], b.Values[i]); d != 0 {
				return d
			}
		}
		return 0
	})
	return out
}

// byFirstDimension puts first, of two totals keeping as many dimensions,
// the one that keeps the earliest dimension the other lacks.
func byFirstDimension(a, b uint32) int {
	diff := a ^ b
	switch {
	case diff == 0:
		return 0
	case a&(diff&-diff) != 0: // the lowest dimension they differ on
		return -1
	default:
		return 1
	}
}

// toCell writes a protected cell as the API's: the values it has, the count
// only when published.
func toCell(dims []casebridgev1.Dimension, c *disclosure.Cell) *casebridgev1.Cell {
	out := &casebridgev1.Cell{Suppressed: c.Suppressed, WithheldReason: withheldReason(c.Reason)}
	if !c.Suppressed {
		out.Count = c.Count
	}
	for i, d := range dims {
		if c.Has&(1<<uint(i)) != 0 {
			out.Values = append(out.Values, &casebridgev1.DimensionValue{Dimension: d, Value: c.Values[i]})
		}
	}
	return out
}
