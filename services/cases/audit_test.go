package cases_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestReadsAndChangesAreAudited: the auditor can see who created, read and
// tried to read a case, with the classes involved, and the chain verifies.
func TestReadsAndChangesAreAudited(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	cw := env.As(t, caseworker)
	created, err := cs.CreateCase(cw, &casebridgev1.CreateCaseRequest{Case: newCase()})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetCase().GetId()
	if _, err := cs.GetCase(cw, &casebridgev1.GetCaseRequest{Id: id}); err != nil {
		t.Fatal(err)
	}
	// A lawyer of the owning organisation reads identity, contact and legal, not care.
	if _, err := env.Pool.Exec(env.As(t, caseworker), `INSERT INTO memberships (organization_id, subject, roles) VALUES ('shelter-a', 'lawyer@shelter-a', '{lawyer}')`); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.GetCase(env.As(t, "lawyer@shelter-a"), &casebridgev1.GetCaseRequest{Id: id}); err != nil {
		t.Fatal(err)
	}
	_, err = cs.GetCase(env.As(t, otherCW), &casebridgev1.GetCaseRequest{Id: id})
	wantCode(t, err, codes.NotFound)

	auditor := env.As(t, "auditor@network")
	au := casebridgev1.NewAuditServiceClient(env.Conn)
	resp, err := au.ListEvents(auditor, &casebridgev1.ListEventsRequest{CaseId: id})
	if err != nil {
		t.Fatal(err)
	}
	type seen struct{ method, subject, code string }
	got := map[seen][]casebridgev1.DataClass{}
	for _, e := range resp.GetEvents() {
		got[seen{e.GetMethod(), e.GetSubject(), e.GetResultCode()}] = e.GetClasses()
	}
	all := []casebridgev1.DataClass{1, 2, 3, 4}
	for _, want := range []struct {
		key     seen
		classes []casebridgev1.DataClass
	}{
		{seen{casebridgev1.CaseService_CreateCase_FullMethodName, caseworker, "OK"}, all},
		{seen{casebridgev1.CaseService_GetCase_FullMethodName, caseworker, "OK"}, all},
		{seen{casebridgev1.CaseService_GetCase_FullMethodName, "lawyer@shelter-a", "OK"}, []casebridgev1.DataClass{1, 2, 4}},
		{seen{casebridgev1.CaseService_GetCase_FullMethodName, otherCW, "NOT_FOUND"}, nil},
	} {
		classes, ok := got[want.key]
		if !ok {
			t.Errorf("no audit event %+v among %v", want.key, got)
			continue
		}
		if len(classes) != len(want.classes) {
			t.Errorf("%+v: classes %v, want %v", want.key, classes, want.classes)
			continue
		}
		for i := range classes {
			if classes[i] != want.classes[i] {
				t.Errorf("%+v: classes %v, want %v", want.key, classes, want.classes)
			}
		}
	}
	v, err := au.VerifyChain(auditor, &casebridgev1.VerifyChainRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !v.GetIntact() || v.GetEventsChecked() < 4 {
		t.Fatalf("chain: %v", v)
	}
	// A caseworker may not read the audit log.
	_, err = au.ListEvents(cw, &casebridgev1.ListEventsRequest{CaseId: id})
	wantCode(t, err, codes.PermissionDenied)
}
