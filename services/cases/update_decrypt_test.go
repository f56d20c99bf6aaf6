package cases_test

import (
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/casebridge/casebridge/services/cases"
)

// UpdateCase decrypts each class at most once: the touched class's current
// value to merge the change into, and the untouched classes for the
// answer; the class just written is answered from its new value in clear.
// (Not parallel: the count is the package's.)
func TestUpdateCaseDecryptsEachClassOnce(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	ctx := env.As(t, caseworker)
	created, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: newCase()})
	if err != nil {
		t.Fatal(err)
	}
	before := cases.ClassOpens()
	resp, err := cs.UpdateCase(ctx, &casebridgev1.UpdateCaseRequest{
		Case:       &casebridgev1.Case{Id: created.GetCase().GetId(), Contact: &casebridgev1.ContactData{Phone: "+381-60-0001111"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"contact.phone"}},
		Etag:       created.GetCase().GetEtag(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := cases.ClassOpens() - before; n != 4 {
		t.Errorf("UpdateCase of one field of a case with four classes decrypted %d class values, want 4 (each class once)", n)
	}
	c := resp.GetCase()
	if c.GetContact().GetPhone() != "+381-60-0001111" || c.GetContact().GetCurrentLocation() != "Marker-Location-7731" {
		t.Errorf("contact answered as %v: want the new phone and the kept location", c.GetContact())
	}
	if c.GetIdentity().GetGivenNames() != "Marker-Given-7731" || c.GetLegal().GetExploitationAccount() != "Marker-Account-7731" {
		t.Errorf("untouched classes not answered: %v", c)
	}
	// What was stored is what was answered.
	got, err := cs.GetCase(ctx, &casebridgev1.GetCaseRequest{Id: c.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetCase().GetContact().GetPhone() != "+381-60-0001111" || got.GetCase().GetContact().GetCurrentLocation() != "Marker-Location-7731" {
		t.Errorf("stored contact %v", got.GetCase().GetContact())
	}

	// Emptying a class deletes it, and the answer has it no more.
	resp, err = cs.UpdateCase(ctx, &casebridgev1.UpdateCaseRequest{
		Case:       &casebridgev1.Case{Id: c.GetId()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"care"}},
		Etag:       c.GetEtag(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetCase().GetCare() != nil {
		t.Errorf("an emptied class was answered: %v", resp.GetCase().GetCare())
	}
	for _, r := range resp.GetCase().GetRedactedClasses() {
		if r == casebridgev1.DataClass_DATA_CLASS_CARE {
			t.Error("an emptied class is listed as redacted")
		}
	}
}
