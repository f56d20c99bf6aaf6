package policies_test

import (
	"context"
	"errors"
	"io"
	"time"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// statsK is the suppression threshold of the test server (the default): a
// table whose grand total counts fewer cases is refused with
// FailedPrecondition, whoever asks.
const statsK = 5

func (w *world) stats() casebridgev1.StatsServiceClient {
	return casebridgev1.NewStatsServiceClient(w.env.Conn)
}

func init() { mergeProbes(statsProbes) }

// enoughCases makes sure at least statsK cases count for statistics (none
// of them refuses it), so that an allowed caller gets an answer rather than
// a refusal for a population too small to publish. The probes run in any
// order, so the stats probes cannot rely on the cases others made.
func enoughCases(w *world) fixture {
	for {
		var n int
		if err := w.env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM cases c WHERE NOT EXISTS (
			SELECT 1 FROM consents s WHERE s.case_id = c.id AND s.purpose = 3 AND s.decision = 2)`).Scan(&n); err != nil {
			w.t.Fatalf("fixture: %v", err)
		}
		if n >= statsK {
			return fixture{}
		}
		w.newCase("open")
	}
}

var statsProbes = map[string]probe{
	"StatsService/CountCases": {enoughCases, func(w *world, ctx context.Context, _ fixture) error {
		_, err := w.stats().CountCases(ctx, &casebridgev1.CountCasesRequest{})
		return err
	}},
	"StatsService/GetIndicators": {enoughCases, func(w *world, ctx context.Context, _ fixture) error {
		y := int32(time.Now().Year())
		_, err := w.stats().GetIndicators(ctx, &casebridgev1.GetIndicatorsRequest{
			Period: &casebridgev1.GetIndicatorsRequest_Years{Years: &casebridgev1.YearRange{StartYear: y - 1, EndYear: y}}})
		return err
	}},
	"StatsService/GetPrivacyBudget": {enoughCases, func(w *world, ctx context.Context, _ fixture) error {
		_, err := w.stats().GetPrivacyBudget(ctx, &casebridgev1.GetPrivacyBudgetRequest{})
		return err
	}},
	"StatsService/ExportCases": {enoughCases, func(w *world, ctx context.Context, _ fixture) error {
		stream, err := w.stats().ExportCases(ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CSV,
			Dimensions: []casebridgev1.Dimension{casebridgev1.Dimension_DIMENSION_YEAR}})
		if err != nil {
			return err
		}
		for {
			if _, err := stream.Recv(); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
		}
	}},
}
