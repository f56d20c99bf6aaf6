package cases_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestListFilters: every ListCases filter narrows to exactly the cases it names.
func TestListFilters(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	cw, sv := env.As(t, caseworker), env.As(t, supervisor)
	mk := func(forms ...casebridgev1.ExploitationForm) *casebridgev1.Case {
		c, err := cs.CreateCase(cw, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
			Coded: &casebridgev1.CodedAttributes{ExploitationForms: forms}}})
		if err != nil {
			t.Fatal(err)
		}
		return c.GetCase()
	}
	labour := mk(casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_LABOUR)
	sexual := mk(casebridgev1.ExploitationForm_EXPLOITATION_FORM_SEXUAL)
	both := mk(casebridgev1.ExploitationForm_EXPLOITATION_FORM_SEXUAL, casebridgev1.ExploitationForm_EXPLOITATION_FORM_BEGGING)
	if _, err := cs.StartAssistance(cw, &casebridgev1.StartAssistanceRequest{Id: sexual.GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.AssignCase(sv, &casebridgev1.AssignCaseRequest{Id: both.GetId(), Caseworker: supervisor}); err != nil {
		t.Fatal(err)
	}
	list := func(req *casebridgev1.ListCasesRequest) map[string]bool {
		t.Helper()
		resp, err := cs.ListCases(cw, req)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, c := range resp.GetCases() {
			got[c.GetId()] = true
		}
		return got
	}
	want := func(name string, got map[string]bool, ids ...string) {
		t.Helper()
		if len(got) != len(ids) {
			t.Errorf("%s: got %d cases, want %d", name, len(got), len(ids))
		}
		for _, id := range ids {
			if !got[id] {
				t.Errorf("%s: case %s missing", name, id)
			}
		}
	}
	want("all", list(&casebridgev1.ListCasesRequest{}), labour.GetId(), sexual.GetId(), both.GetId())
	want("status", list(&casebridgev1.ListCasesRequest{Status: casebridgev1.CaseStatus_CASE_STATUS_IN_ASSISTANCE}), sexual.GetId())
	want("assigned", list(&casebridgev1.ListCasesRequest{AssignedCaseworker: supervisor}), both.GetId())
	want("form", list(&casebridgev1.ListCasesRequest{ExploitationForm: casebridgev1.ExploitationForm_EXPLOITATION_FORM_SEXUAL}), sexual.GetId(), both.GetId())
	want("reference", list(&casebridgev1.ListCasesRequest{Reference: labour.GetReference()}), labour.GetId())
	want("owner", list(&casebridgev1.ListCasesRequest{OrganizationId: "cso-c"}))
	future := timestamppb.New(time.Now().Add(time.Hour))
	want("updated since", list(&casebridgev1.ListCasesRequest{UpdatedSince: future}))
	past := timestamppb.New(time.Now().Add(-time.Hour))
	want("updated since an hour ago", list(&casebridgev1.ListCasesRequest{UpdatedSince: past}), labour.GetId(), sexual.GetId(), both.GetId())
	// Lists give the basic view: no sensitive class is decrypted.
	resp, err := cs.ListCases(cw, &casebridgev1.ListCasesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range resp.GetCases() {
		if c.GetIdentity() != nil || c.GetContact() != nil {
			t.Fatal("ListCases decrypted sensitive data without asking for the full view")
		}
	}
	// Newest first.
	if resp.GetCases()[0].GetId() != both.GetId() {
		t.Fatalf("first listed %s, want the newest %s", resp.GetCases()[0].GetReference(), both.GetReference())
	}
}
