package server_test

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestLogQuotesNoInput: text a caller typed into the wrong field (a
// victim's name as a country code, an id, an organisation) comes back in
// the refusal's message, but neither the server's call log nor a span
// carries it. The log still says which field was refused.
func TestLogQuotesNoInput(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	env := servertest.Start(t, func(c *server.Config) { c.SpanExporter = exp })
	cw := env.As(t, "caseworker@shelter-a")
	rs := casebridgev1.NewReferralServiceClient(env.Conn)
	ps := casebridgev1.NewProceedingServiceClient(env.Conn)
	const name = "TypedVictimName"
	caseID := env.NewMarkedCase(t)

	quoted := 0
	check := func(err error) {
		t.Helper()
		if err == nil {
			t.Fatal("a request with a name in an id field succeeded")
		}
		if strings.Contains(err.Error(), name) {
			quoted++
		}
	}
	_, err := env.Cases().CreateCase(cw, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{Coded: &casebridgev1.CodedAttributes{Nationality: "UA", Country: name}}})
	check(err)
	_, err = rs.GetReferral(cw, &casebridgev1.GetReferralRequest{Id: name})
	check(err)
	_, err = rs.ListReferrals(cw, &casebridgev1.ListReferralsRequest{CaseId: name})
	check(err)
	_, err = env.Cases().GetCase(cw, &casebridgev1.GetCaseRequest{Id: name})
	check(err)
	_, err = ps.GetProceeding(env.As(t, "lawyer@legal-b"), &casebridgev1.GetProceedingRequest{Id: name})
	check(err)
	_, err = rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: caseID, ToOrganizationId: name, Service: casebridgev1.ServiceKind_SERVICE_KIND_LEGAL})
	check(err)
	// The caller is told what it sent: that is the message's job, and what
	// makes the log's restraint matter.
	if quoted == 0 {
		t.Fatal("no refusal quotes the typed text: the test no longer exercises a quoting message")
	}

	logs := env.ServerLog()
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, name) {
			t.Errorf("server log quotes the typed text: %s", line)
		}
	}
	if !strings.Contains(logs, "code=InvalidArgument") || !strings.Contains(logs, "country]") {
		t.Errorf("the log does not name the refused field and code:\n%s", logs)
	}
	spans := exp.GetSpans()
	if len(spans) == 0 {
		t.Fatal("no spans recorded")
	}
	for _, s := range spans {
		texts := []string{s.Name, s.Status.Description}
		for _, a := range s.Attributes {
			texts = append(texts, a.Value.Emit())
		}
		for _, e := range s.Events {
			texts = append(texts, e.Name)
			for _, a := range e.Attributes {
				texts = append(texts, a.Value.Emit())
			}
		}
		for _, text := range texts {
			if strings.Contains(text, name) {
				t.Errorf("span %q carries the typed text: %q", s.Name, text)
			}
		}
	}
}
