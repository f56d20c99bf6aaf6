package server_test

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/tracing"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestTracesOfAStoryCarryNoCaseData drives a case through intake, consent,
// a referral, reads by both organisations, a note and refused calls with
// spans going to an in-memory exporter: every call has a span, statements
// have child spans named by keyword, and no span name, attribute, event,
// status or link carries a case or referral id, a subject, a token or
// anything from the case's data.
func TestTracesOfAStoryCarryNoCaseData(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	env := servertest.Start(t, func(c *server.Config) { c.SpanExporter = exp })

	cw := env.As(t, "caseworker@shelter-a")
	caseID := env.ReferredCase(t)
	got, err := env.Cases().GetCase(cw, &casebridgev1.GetCaseRequest{Id: caseID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Cases().GetCase(env.As(t, "lawyer@legal-b"), &casebridgev1.GetCaseRequest{Id: caseID}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Cases().AddNote(cw, &casebridgev1.AddNoteRequest{CaseId: caseID, DataClass: casebridgev1.DataClass_DATA_CLASS_CARE, Text: "Marker-Note-5150"}); err != nil {
		t.Fatal(err)
	}
	missing := "00000000-0000-4000-8000-00000000f00d"
	_, err = env.Cases().GetCase(cw, &casebridgev1.GetCaseRequest{Id: missing})
	servertest.WantCode(t, err, 5) // NotFound
	_, err = env.Cases().GetCase(cw, &casebridgev1.GetCaseRequest{Id: "Marker-Bad-Id-5150"})
	servertest.WantCode(t, err, 3) // InvalidArgument
	_, err = env.Cases().GetCase(env.As(t, "caseworker@cso-c"), &casebridgev1.GetCaseRequest{Id: caseID})
	if err == nil {
		t.Fatal("another organisation read the case")
	}
	refs, err := casebridgev1.NewReferralServiceClient(env.Conn).ListReferrals(cw, &casebridgev1.ListReferralsRequest{})
	if err != nil {
		t.Fatal(err)
	}

	spans := exp.GetSpans()
	names := map[string]int{}
	rpcSpans := map[string]bool{}
	childStatements := 0
	for _, s := range spans {
		names[s.Name]++
		if strings.HasPrefix(s.Name, "casebridge.v1.") {
			rpcSpans[s.SpanContext.SpanID().String()] = true
		}
	}
	for _, s := range spans {
		if strings.HasPrefix(s.Name, "postgresql ") && rpcSpans[s.Parent.SpanID().String()] {
			childStatements++
		}
	}
	for _, want := range []string{"casebridge.v1.CaseService/GetCase", "casebridge.v1.CaseService/CreateCase", "casebridge.v1.ReferralService/AcceptReferral", "postgresql SELECT", "postgresql INSERT"} {
		if names[want] == 0 {
			t.Errorf("no span %q (spans: %v)", want, names)
		}
	}
	if names["casebridge.v1.CaseService/GetCase"] != 5 {
		t.Errorf("GetCase spans = %d, want 5", names["casebridge.v1.CaseService/GetCase"])
	}
	if childStatements == 0 {
		t.Error("no statement span is the child of a call's span")
	}

	forbidden := []string{caseID, missing, got.GetCase().GetReference(), "Marker", "5150", "caseworker", "lawyer", "Bearer",
		env.Token(t, "caseworker@shelter-a")[:20]}
	for _, r := range refs.GetReferrals() {
		forbidden = append(forbidden, r.GetId())
	}
	for _, s := range spans {
		texts := []string{s.Name, s.Status.Description}
		for _, a := range append(append(s.Attributes, s.Resource.Attributes()...), s.InstrumentationScope.Attributes.ToSlice()...) {
			texts = append(texts, string(a.Key)+"="+a.Value.Emit())
		}
		for _, e := range s.Events {
			texts = append(texts, e.Name)
			for _, a := range e.Attributes {
				texts = append(texts, string(a.Key)+"="+a.Value.Emit())
			}
		}
		for _, l := range s.Links {
			for _, a := range l.Attributes {
				texts = append(texts, string(a.Key)+"="+a.Value.Emit())
			}
		}
		for _, text := range texts {
			for _, bad := range forbidden {
				if bad != "" && strings.Contains(text, bad) {
					t.Errorf("span %q carries %q in %q", s.Name, bad, text)
				}
			}
		}
	}
}

// TestStatementKeyword: only a known first keyword names a statement span.
func TestStatementKeyword(t *testing.T) {
	for sql, want := range map[string]string{
		"SELECT 1":                          "SELECT",
		"\n  -- why\n/* x */ insert into t": "INSERT",
		"(select 1) union (select 2)":       "SELECT",
		"with x as (select 1) select 1":     "WITH",
		"Marker-5150":                       "OTHER",
		"":                                  "OTHER",
		"-- only a comment":                 "OTHER",
	} {
		if got := tracing.Keyword(sql); got != want {
			t.Errorf("Keyword(%q) = %q, want %q", sql, got, want)
		}
	}
}
