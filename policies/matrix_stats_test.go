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
// order, so the stats probes cannot rely on the cases others made. Every
// organisation holding such cases is topped up to statsK too: a transfer
// probe moves a case to cso-c, and a population that is almost all one
// organisation's fails the one-organisation rule.
func enoughCases(w *world) fixture {
	for {
		rows, err := w.env.Pool.Query(context.Background(), `SELECT c.organization_id, count(*) FROM cases c WHERE NOT EXISTS (
			SELECT 1 FROM consents s WHERE s.case_id = c.id AND s.purpose = 3 AND s.decision = 2) GROUP BY 1`)
		if err != nil {
			w.t.Fatalf("fixture: %v", err)
		}
		total, short := 0, ""
		for rows.Next() {
			var org string
			var n int
			if err := rows.Scan(&org, &n); err != nil {
				w.t.Fatalf("fixture: %v", err)
			}
			total += n
			if n < statsK && short == "" {
				short = org
			}
		}
		rows.Close()
		switch {
		case total < statsK || short == "shelter-a":
			w.newCase("open")
		case short != "":
			if _, err := w.cases().CreateCase(w.as("caseworker@"+short), &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{}}); err != nil {
				w.t.Fatalf("fixture: %v", err)
			}
		default:
			return fixture{}
		}
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
