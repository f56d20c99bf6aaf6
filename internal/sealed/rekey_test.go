package sealed_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Markers written into the sealed columns; each must read back after the
// case is re-keyed.
const (
	identityMarker = "Marker-Given-5150" // servertest.NewMarkedCase
	legalMarker    = "Marker-Account-5150"
	caseNoteMarker = "Marker-CaseNote-7341"
	hearingMarker  = "Marker-HearingNotes-7341"
)

// TestRekeyKeepsEverySealedColumnReadable is the regression test of the
// data loss on revocation: a value is sealed in every registered column of
// one case, a referral to another organisation is revoked (which re-keys
// the case), and every value still opens — through the API, for the
// organisations that keep access.
//
// A column added to the registry without a writer and a reader here fails
// the test: re-keying is generic over the registry, and this proves it for
// each entry.
func TestRekeyKeepsEverySealedColumnReadable(t *testing.T) {
	env := servertest.Start(t)
	cw, lw := env.As(t, "caseworker@shelter-a"), env.As(t, "lawyer@legal-b")
	ps := casebridgev1.NewProceedingServiceClient(env.Conn)
	rs := casebridgev1.NewReferralServiceClient(env.Conn)

	// Written: case secrets (identity, legal) at creation, a care note, and,
	// by the lawyer of the legal referral, a hearing with notes.
	caseID := env.ReferredCase(t)
	if _, err := env.Cases().AddNote(cw, &casebridgev1.AddNoteRequest{CaseId: caseID, DataClass: casebridgev1.DataClass_DATA_CLASS_CARE, Text: caseNoteMarker}); err != nil {
		t.Fatalf("add note: %v", err)
	}
	pr := env.NewProceeding(t, caseID, servertest.CriminalProceeding())
	if _, err := ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: &casebridgev1.Hearing{
		StartTime: timestamppb.New(time.Now().Add(48 * time.Hour)), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN, Notes: hearingMarker,
	}}); err != nil {
		t.Fatalf("add hearing: %v", err)
	}

	// How each registered column is read back through the API.
	readers := map[*vault.Column]func(t *testing.T){
		vault.CaseSecrets: func(t *testing.T) {
			got, err := env.Cases().GetCase(cw, &casebridgev1.GetCaseRequest{Id: caseID, View: casebridgev1.CaseView_CASE_VIEW_FULL})
			if err != nil {
				t.Fatalf("GetCase FULL: %v", err)
			}
			if got.GetCase().GetIdentity().GetGivenNames() != identityMarker || got.GetCase().GetLegal().GetExploitationAccount() != legalMarker {
				t.Fatalf("case classes after re-key: %v", got.GetCase())
			}
		},
		vault.CaseNotes: func(t *testing.T) {
			got, err := env.Cases().ListNotes(cw, &casebridgev1.ListNotesRequest{CaseId: caseID})
			if err != nil {
				t.Fatalf("ListNotes: %v", err)
			}
			if len(got.GetNotes()) != 1 || got.GetNotes()[0].GetText() != caseNoteMarker {
				t.Fatalf("notes after re-key: %v", got.GetNotes())
			}
		},
		vault.HearingNotes: func(t *testing.T) {
			got, err := ps.ListHearings(lw, &casebridgev1.ListHearingsRequest{ProceedingId: pr.GetId(), View: casebridgev1.HearingView_HEARING_VIEW_FULL})
			if err != nil {
				t.Fatalf("ListHearings FULL: %v", err)
			}
			if len(got.GetHearings()) != 1 || got.GetHearings()[0].GetNotes() != hearingMarker {
				t.Fatalf("hearings after re-key: %v", got.GetHearings())
			}
		},
	}

	ctx := context.Background()
	before, err := sealed.Load(ctx, env.Pool, caseID)
	if err != nil {
		t.Fatal(err)
	}
	filled := map[*vault.Column]bool{}
	for _, v := range before {
		filled[v.Column] = true
	}
	for _, c := range vault.Columns() {
		if !filled[c] {
			t.Errorf("the test writes nothing into registered column %s", c)
		}
		if readers[c] == nil {
			t.Errorf("the test has no reader for registered column %s", c)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// Revoke another organisation's sharing: the case is re-keyed.
	ref := env.ReferTo(t, caseID, "cso-c", "caseworker@cso-c", casebridgev1.ServiceKind_SERVICE_KIND_PSYCHOSOCIAL, casebridgev1.DataClass_DATA_CLASS_CARE)
	if _, err := rs.RevokeSharing(cw, &casebridgev1.RevokeSharingRequest{Id: ref.GetId()}); err != nil {
		t.Fatalf("revoke sharing: %v", err)
	}
	after, err := sealed.Load(ctx, env.Pool, caseID)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("%d sealed values before the re-key, %d after", len(before), len(after))
	}
	for i := range after {
		if bytes.Equal(after[i].Ciphertext, before[i].Ciphertext) {
			t.Errorf("%s row %s was not re-encrypted by the re-key", after[i].Column, after[i].ID)
		}
	}

	for _, c := range vault.Columns() {
		t.Run(c.String(), readers[c])
	}
}
