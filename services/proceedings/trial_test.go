package proceedings_test

import (
	"slices"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// msoCase is a case of cso-c (North Macedonia) that legal-b represents.
func msoCase(t *testing.T, env *servertest.Env) string {
	t.Helper()
	cw := env.As(t, "caseworker@cso-c")
	c, err := env.Cases().CreateCase(cw, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
		Coded: &casebridgev1.CodedAttributes{Nationality: "MK", Country: "RS"}, Identity: &casebridgev1.IdentityData{GivenNames: "Co-victim"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := c.GetCase().GetId()
	if _, err := env.Cases().RecordConsent(cw, &casebridgev1.RecordConsentRequest{CaseId: id,
		Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: "legal-b"}}); err != nil {
		t.Fatal(err)
	}
	rs := casebridgev1.NewReferralServiceClient(env.Conn)
	ref, err := rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: id, ToOrganizationId: "legal-b",
		Service: casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, GrantedClasses: []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_LEGAL}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.AcceptReferral(env.As(t, "lawyer@legal-b"), &casebridgev1.AcceptReferralRequest{Id: ref.GetReferral().GetId()}); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestCoVictimsInOneTrial: one trafficking ring, three injured parties —
// two cases of a Serbian shelter, one of a North Macedonian CSO, all
// represented by legal-b. Each has a proceeding of her own with the same
// court, docket and charges; linked, they share a trial id. Each
// organisation sees only its own person's proceeding. Erasing one person's
// case shreds her proceeding's court, docket and charges and nothing of the
// others': theirs still open, under their own case keys.
func TestCoVictimsInOneTrial(t *testing.T) {
	env := servertest.Start(t)
	ps := casebridgev1.NewProceedingServiceClient(env.Conn)
	lw, rs, mk := env.As(t, "lawyer@legal-b"), env.As(t, "caseworker@shelter-a"), env.As(t, "caseworker@cso-c")
	a, b, c := env.ReferredCase(t), env.ReferredCase(t), msoCase(t, env)
	var ids []string
	for _, caseID := range []string{a, b, c} {
		p := servertest.CriminalProceeding()
		p.Court, p.DocketNumber, p.Charges = "Marker-Court-3301", "Marker-Docket-3301", []string{"Marker-Charge-3301"}
		p.Strategic, p.StrategicGoal = true, "the state fund pays when the offenders cannot"
		ids = append(ids, env.NewProceeding(t, caseID, p).GetId())
	}
	first, err := ps.LinkProceedings(lw, &casebridgev1.LinkProceedingsRequest{Id: ids[0], WithId: ids[1]})
	if err != nil {
		t.Fatal(err)
	}
	trial := first.GetProceeding().GetTrialId()
	if trial == "" || first.GetProceeding().GetId() != ids[0] || first.GetProceeding().GetCourt() != "Marker-Court-3301" {
		t.Fatalf("linked proceeding: %v", first.GetProceeding())
	}
	third, err := ps.LinkProceedings(lw, &casebridgev1.LinkProceedingsRequest{Id: ids[2], WithId: ids[1]})
	if err != nil || third.GetProceeding().GetTrialId() != trial {
		t.Fatalf("the third co-victim joins the trial: %v %v", third.GetProceeding().GetTrialId(), err)
	}

	// Each organisation sees its own person's proceeding, not the others'.
	for _, id := range ids[:2] {
		got, err := ps.GetProceeding(rs, &casebridgev1.GetProceedingRequest{Id: id})
		if err != nil || got.GetProceeding().GetTrialId() != trial {
			t.Fatalf("shelter-a reads its own co-victim's proceeding %s: %v", id, err)
		}
		_, err = ps.GetProceeding(mk, &casebridgev1.GetProceedingRequest{Id: id})
		servertest.WantCode(t, err, codes.NotFound)
	}
	_, err = ps.GetProceeding(rs, &casebridgev1.GetProceedingRequest{Id: ids[2]})
	servertest.WantCode(t, err, codes.NotFound)
	if got, err := ps.GetProceeding(mk, &casebridgev1.GetProceedingRequest{Id: ids[2]}); err != nil || got.GetProceeding().GetTrialId() != trial {
		t.Fatalf("cso-c reads its own person's proceeding: %v", err)
	}
	list, err := ps.ListProceedings(mk, &casebridgev1.ListProceedingsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list.GetProceedings() {
		if slices.Contains(ids[:2], p.GetId()) {
			t.Fatalf("cso-c lists another organisation's co-victim: %v", p)
		}
	}

	// The first person asks for erasure.
	if _, err := env.Cases().EraseCase(env.As(t, "supervisor@shelter-a"), &casebridgev1.EraseCaseRequest{Id: a, Reason: "the person asked for erasure"}); err != nil {
		t.Fatal(err)
	}
	gone, err := ps.GetProceeding(rs, &casebridgev1.GetProceedingRequest{Id: ids[0]})
	if err != nil {
		t.Fatal(err)
	}
	if g := gone.GetProceeding(); g.GetCourt() != "" || g.GetDocketNumber() != "" || len(g.GetCharges()) != 0 || g.GetTrialId() != trial {
		t.Fatalf("the erased person's proceeding still reads its texts: %v", g)
	}
	for _, id := range ids[1:] {
		got, err := ps.GetProceeding(lw, &casebridgev1.GetProceedingRequest{Id: id})
		if err != nil {
			t.Fatalf("a co-victim's proceeding after another's erasure: %v", err)
		}
		if g := got.GetProceeding(); g.GetCourt() != "Marker-Court-3301" || g.GetDocketNumber() != "Marker-Docket-3301" ||
			!slices.Equal(g.GetCharges(), []string{"Marker-Charge-3301"}) || g.GetTrialId() != trial {
			t.Fatalf("erasing one co-victim shredded another's proceeding: %v", g)
		}
	}
	if _, err := ps.ListProceedings(lw, &casebridgev1.ListProceedingsRequest{}); err != nil {
		t.Fatalf("the lawyer's list after the erasure: %v", err)
	}
}

// TestLinkProceedingsBadInput: what cannot be one trial is refused, with the
// field or the reason, and nothing is linked.
func TestLinkProceedingsBadInput(t *testing.T) {
	env := servertest.Start(t)
	ps := casebridgev1.NewProceedingServiceClient(env.Conn)
	lw := env.As(t, "lawyer@legal-b")
	newOn := func(caseID string, kind casebridgev1.ProceedingKind) *casebridgev1.Proceeding {
		p := servertest.CriminalProceeding()
		p.Kind = kind
		if kind != casebridgev1.ProceedingKind_PROCEEDING_KIND_CRIMINAL {
			p.Charges = nil
		}
		return env.NewProceeding(t, caseID, p)
	}
	crim, civil := casebridgev1.ProceedingKind_PROCEEDING_KIND_CRIMINAL, casebridgev1.ProceedingKind_PROCEEDING_KIND_CIVIL
	a, b := env.ReferredCase(t), env.ReferredCase(t)
	pa, pa2, pb, pbCivil := newOn(a, crim), newOn(a, crim), newOn(b, crim), newOn(b, civil)
	// Two trials already.
	c, d := env.ReferredCase(t), env.ReferredCase(t)
	pc, pd := newOn(c, crim), newOn(d, crim)
	if _, err := ps.LinkProceedings(lw, &casebridgev1.LinkProceedingsRequest{Id: pa.GetId(), WithId: pc.GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.LinkProceedings(lw, &casebridgev1.LinkProceedingsRequest{Id: pb.GetId(), WithId: pd.GetId()}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		req        *casebridgev1.LinkProceedingsRequest
		code       codes.Code
		field, say string
	}{
		{"id not a uuid", &casebridgev1.LinkProceedingsRequest{Id: "x", WithId: pb.GetId()}, codes.InvalidArgument, "id", ""},
		{"with_id not a uuid", &casebridgev1.LinkProceedingsRequest{Id: pa.GetId(), WithId: "y"}, codes.InvalidArgument, "with_id", ""},
		{"with itself", &casebridgev1.LinkProceedingsRequest{Id: pa.GetId(), WithId: pa.GetId()}, codes.InvalidArgument, "with_id", ""},
		{"same case", &casebridgev1.LinkProceedingsRequest{Id: pa2.GetId(), WithId: pa.GetId()}, codes.InvalidArgument, "with_id", ""},
		{"another kind", &casebridgev1.LinkProceedingsRequest{Id: pbCivil.GetId(), WithId: pc.GetId()}, codes.FailedPrecondition, "", "different kinds"},
		{"two trials", &casebridgev1.LinkProceedingsRequest{Id: pa.GetId(), WithId: pb.GetId()}, codes.FailedPrecondition, "", "two different trials"},
		{"same trial", &casebridgev1.LinkProceedingsRequest{Id: pa.GetId(), WithId: pc.GetId()}, codes.FailedPrecondition, "", "same trial"},
		{"unknown co-victim", &casebridgev1.LinkProceedingsRequest{Id: pa2.GetId(), WithId: uuid.NewString()}, codes.NotFound, "", "not found"},
		{"stale etag", &casebridgev1.LinkProceedingsRequest{Id: pa2.GetId(), WithId: pb.GetId(), Etag: "999"}, codes.Aborted, "", "stale etag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ps.LinkProceedings(lw, tc.req)
			if tc.field != "" {
				servertest.WantField(t, err, tc.field)
			} else {
				servertest.WantMessage(t, err, tc.code, tc.say)
			}
		})
	}
	// A caseworker of the owner reads proceedings but links none.
	_, err := ps.LinkProceedings(env.As(t, "caseworker@shelter-a"), &casebridgev1.LinkProceedingsRequest{Id: pa2.GetId(), WithId: pb.GetId()})
	servertest.WantCode(t, err, codes.PermissionDenied)
	if got, err := ps.GetProceeding(lw, &casebridgev1.GetProceedingRequest{Id: pa2.GetId()}); err != nil || got.GetProceeding().GetTrialId() != "" {
		t.Fatalf("a refused link linked: %v %v", got, err)
	}
}
