package stats_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestEveryStatsCallIsAudited: figures across organisations are power over
// every organisation's data, so each StatsService call — answered, refused
// for a population too small, or refused to a caller who is no coordinator
// — leaves one event with the shape of the query (dimensions, the fields
// filtered on), never a filter value or a figure.
func TestEveryStatsCallIsAudited(t *testing.T) {
	env := servertest.Start(t)
	st := casebridgev1.NewStatsServiceClient(env.Conn)
	for i := range 6 {
		if _, err := env.Cases().CreateCase(env.As(t, "caseworker@shelter-a"), &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
			Coded: &casebridgev1.CodedAttributes{Sex: casebridgev1.Sex_SEX_FEMALE, Country: "RS", IdentificationYear: int32(2020 + i%2)}}}); err != nil {
			t.Fatal(err)
		}
	}
	y := int32(time.Now().Year())
	n := 0
	steps := []struct {
		name, subject, method, code string
		call                        func(ctx context.Context) error
		details                     []string
	}{
		{"CountCases", coordinator, "CountCases", "OK", func(ctx context.Context) error {
			_, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{dYear}})
			return err
		}, []string{"dimension=year"}},
		{"CountCases too narrow", coordinator, "CountCases", "FAILED_PRECONDITION", func(ctx context.Context) error {
			_, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{casebridgev1.Dimension_DIMENSION_SEX},
				Filter: &casebridgev1.StatsFilter{Years: []int32{2021}, Countries: []string{"MK"}}})
			return err
		}, []string{"dimension=sex", "filter=years", "filter=countries"}},
		{"GetIndicators", coordinator, "GetIndicators", "OK", func(ctx context.Context) error {
			_, err := st.GetIndicators(ctx, &casebridgev1.GetIndicatorsRequest{Country: "RS",
				Period: &casebridgev1.GetIndicatorsRequest_Years{Years: &casebridgev1.YearRange{StartYear: 2019, EndYear: y}}})
			return err
		}, []string{"filter=country"}},
		{"ExportCases", coordinator, "ExportCases", "OK", func(ctx context.Context) error {
			stream, err := st.ExportCases(ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CSV,
				Dimensions: []casebridgev1.Dimension{dYear, casebridgev1.Dimension_DIMENSION_COUNTRY}})
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
		}, []string{"format=csv", "dimension=year", "dimension=country"}},
		{"CountCases refused", "admin@shelter-a", "CountCases", "PERMISSION_DENIED", func(ctx context.Context) error {
			_, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{})
			return err
		}, nil},
	}
	for _, s := range steps {
		n++
		rid := fmt.Sprintf("stats-audit-%d", n)
		err := s.call(servertest.WithRequestID(env.As(t, s.subject), rid))
		if (err == nil) != (s.code == "OK") {
			t.Fatalf("%s: %v, want %s", s.name, err, s.code)
		}
		resp, err := casebridgev1.NewAuditServiceClient(env.Conn).ListEvents(env.As(t, "auditor@network"),
			&casebridgev1.ListEventsRequest{Subject: s.subject, PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		var evs []*casebridgev1.AuditEvent
		for _, ev := range resp.GetEvents() {
			if ev.GetRequestId() == rid {
				evs = append(evs, ev)
			}
		}
		if len(evs) != 1 {
			t.Fatalf("%s: %d audit events, want 1: %v", s.name, len(evs), evs)
		}
		ev := evs[0]
		if ev.GetMethod() != "/casebridge.v1.StatsService/"+s.method || ev.GetResultCode() != s.code ||
			!slices.Equal(ev.GetDetails(), s.details) || ev.GetCaseId() != "" || len(ev.GetClasses()) != 0 {
			t.Fatalf("%s: event %s %s details %q case %q classes %v; want %s details %q and no case",
				s.name, ev.GetMethod(), ev.GetResultCode(), ev.GetDetails(), ev.GetCaseId(), ev.GetClasses(), s.code, s.details)
		}
	}
}
