package cases_test

import (
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestDecryptedAnswersAreAuditedReads: an UpdateCase that changes one coded
// attribute answers with the whole case decrypted, and a retried CreateCase
// answers with the case the first attempt made, decrypted. Each is a read
// of every class it returns, on record as such.
func TestDecryptedAnswersAreAuditedReads(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	cw := env.As(t, caseworker)
	all := []casebridgev1.DataClass{1, 2, 3, 4}

	created, err := cs.CreateCase(servertest.WithRequestID(cw, "create-first"), &casebridgev1.CreateCaseRequest{Case: newCase(), RequestId: "9b1d3f6e-2c41-4d7a-9e55-1f2a3b4c5d6e"})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetCase().GetId()
	again, err := cs.CreateCase(servertest.WithRequestID(cw, "create-retry"), &casebridgev1.CreateCaseRequest{Case: newCase(), RequestId: "9b1d3f6e-2c41-4d7a-9e55-1f2a3b4c5d6e"})
	if err != nil || again.GetCase().GetId() != id || again.GetCase().GetIdentity().GetGivenNames() == "" {
		t.Fatalf("retried create: %v %v", again.GetCase(), err)
	}
	c := again.GetCase()
	c.Coded.Sex = casebridgev1.Sex_SEX_MALE
	updated, err := cs.UpdateCase(servertest.WithRequestID(cw, "update-sex"), &casebridgev1.UpdateCaseRequest{
		Case: c, Etag: c.GetEtag(), UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"coded.sex"}},
	})
	if err != nil || updated.GetCase().GetCare().GetHealthNotes() == "" {
		t.Fatalf("update: %v %v", updated.GetCase(), err)
	}

	tr := env.AuditTrail(t, id)
	tr.Check(t, "create-first", casebridgev1.CaseService_CreateCase_FullMethodName, caseworker,
		servertest.AuditExpect{Code: "OK", Org: "shelter-a", Classes: all})
	tr.Check(t, "create-retry", casebridgev1.CaseService_CreateCase_FullMethodName, caseworker,
		servertest.AuditExpect{Code: "OK", Org: "shelter-a", Classes: all})
	tr.Check(t, "update-sex", casebridgev1.CaseService_UpdateCase_FullMethodName, caseworker,
		servertest.AuditExpect{Code: "OK", Org: "shelter-a"},               // the change: no class written
		servertest.AuditExpect{Code: "OK", Org: "shelter-a", Classes: all}) // the answer: every class read
}
