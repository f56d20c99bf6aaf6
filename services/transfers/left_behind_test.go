package transfers_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// referredAndCompleted opens a shelter-a case, refers it to legal-b, which
// accepts and completes the referral; it returns the case id and the
// completed referral.
func referredAndCompleted(t *testing.T, env *servertest.Env) (string, *casebridgev1.Referral) {
	t.Helper()
	refs := casebridgev1.NewReferralServiceClient(env.Conn)
	lw := env.As(t, lawyerThird)
	id, r := referredAndAccepted(t, env)
	done, err := refs.CompleteReferral(lw, &casebridgev1.CompleteReferralRequest{Id: r.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	return id, done.GetReferral()
}

// referredAndAccepted opens a case at shelter-a, refers it to legal-b for
// legal representation on the person's consent, and has legal-b accept.
func referredAndAccepted(t *testing.T, env *servertest.Env) (string, *casebridgev1.Referral) {
	t.Helper()
	refs := casebridgev1.NewReferralServiceClient(env.Conn)
	rs, lw := env.As(t, caseworkerRS), env.As(t, lawyerThird)
	id := newCase(t, env)
	consent(t, env, id, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION, "legal-b")
	r, err := refs.CreateReferral(rs, &casebridgev1.CreateReferralRequest{CaseId: id, ToOrganizationId: "legal-b",
		Service: casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, GrantedClasses: []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_LEGAL}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := refs.AcceptReferral(lw, &casebridgev1.AcceptReferralRequest{Id: r.GetReferral().GetId()}); err != nil {
		t.Fatal(err)
	}
	return id, r.GetReferral()
}

// transferToCSO moves case id from shelter-a to cso-c on the person's
// consent and returns cso-c's new reference of it.
func transferToCSO(t *testing.T, env *servertest.Env, id string) string {
	t.Helper()
	consent(t, env, id, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_TRANSFER, "cso-c")
	p, err := transfersOf(env).ProposeTransfer(env.As(t, supervisorRS), &casebridgev1.ProposeTransferRequest{CaseId: id, ToOrganizationId: "cso-c"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := transfersOf(env).AcceptTransfer(env.As(t, caseworkerMK), &casebridgev1.AcceptTransferRequest{Id: p.GetTransfer().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	return a.GetTransfer().GetToReference()
}

// recodeAsNewOwner changes the case's nationality as cso-c, after the
// transfer: what the case became under its new owner.
func recodeAsNewOwner(t *testing.T, env *servertest.Env, id, nationality string) {
	t.Helper()
	mk := env.As(t, caseworkerMK)
	cur, err := env.Cases().GetCase(mk, &casebridgev1.GetCaseRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Cases().UpdateCase(mk, &casebridgev1.UpdateCaseRequest{Case: &casebridgev1.Case{Id: id,
		Coded: &casebridgev1.CodedAttributes{Nationality: nationality}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"coded.nationality"}}, Etag: cur.GetCase().GetEtag()}); err != nil {
		t.Fatal(err)
	}
}

// firstEvent opens a watch as user from now on, waits for the first event
// (which act causes) and closes the watch; it returns that event.
func firstEvent(t *testing.T, env *servertest.Env, user string, act func()) *casebridgev1.ReferralEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(env.As(t, user), 20*time.Second)
	defer cancel()
	stream, err := casebridgev1.NewReferralServiceClient(env.Conn).WatchReferrals(ctx, &casebridgev1.WatchReferralsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Header(); err != nil {
		t.Fatal(err)
	}
	act()
	ev, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	return ev.GetEvent()
}

// eventsAfter replays, as user, the next n events after cursor.
func eventsAfter(t *testing.T, env *servertest.Env, user, cursor string, n int) []*casebridgev1.ReferralEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(env.As(t, user), 20*time.Second)
	defer cancel()
	stream, err := casebridgev1.NewReferralServiceClient(env.Conn).WatchReferrals(ctx, &casebridgev1.WatchReferralsRequest{AfterCursor: cursor})
	if err != nil {
		t.Fatal(err)
	}
	var out []*casebridgev1.ReferralEvent
	for len(out) < n {
		ev, err := stream.Recv()
		if err != nil {
			t.Fatalf("replay as %s after %d events: %v", user, len(out), err)
		}
		out = append(out, ev.GetEvent())
	}
	return out
}

// TestReferralsDoNotFollowTheCaseAfterTransfer: shelter-a referred a case
// to legal-b, which completed the referral; the case then moved to cso-c,
// which numbered it in its own series and recoded its nationality. The
// referral is still shelter-a's record and legal-b's, but it shows the case
// as it was referred — shelter-a's reference, no coded attributes — never
// cso-c's reference or what cso-c recorded since: not through GetReferral,
// ListReferrals, nor replayed through WatchReferrals.
func TestReferralsDoNotFollowTheCaseAfterTransfer(t *testing.T) {
	env := servertest.Start(t)
	refs := casebridgev1.NewReferralServiceClient(env.Conn)
	var id string
	var r *casebridgev1.Referral
	// The watch starts before the referral, so its first event (the
	// referral's creation) is a cursor to replay the rest from later.
	created := firstEvent(t, env, caseworkerRS, func() { id, r = referredAndCompleted(t, env) })
	oldRef := r.GetCaseReference()
	if oldRef == "" || r.GetCoded().GetNationality() != "MK" {
		t.Fatalf("before the transfer the referral shows the case: reference %q, coded %v", oldRef, r.GetCoded())
	}
	newRef := transferToCSO(t, env, id)
	if newRef == "" || newRef == oldRef {
		t.Fatalf("the receiver's reference %q must differ from %q", newRef, oldRef)
	}
	recodeAsNewOwner(t, env, id, "XK")

	check := func(who, what string, x *casebridgev1.Referral) {
		t.Helper()
		if x.GetCaseReference() != oldRef {
			t.Errorf("%s: %s names the case %q after the transfer, want the reference it was referred under, %q (new owner's: %q)",
				who, what, x.GetCaseReference(), oldRef, newRef)
		}
		if x.GetCoded() != nil {
			t.Errorf("%s: %s shows the case's coded attributes after the transfer: %v", who, what, x.GetCoded())
		}
	}
	for _, who := range []struct{ user, org string }{{caseworkerRS, "shelter-a"}, {lawyerThird, "legal-b"}} {
		got, err := refs.GetReferral(env.As(t, who.user), &casebridgev1.GetReferralRequest{Id: r.GetId()})
		if err != nil {
			t.Fatalf("%s keeps its own historic referral: %v", who.user, err)
		}
		check(who.user, "GetReferral", got.GetReferral())
		list, err := refs.ListReferrals(env.As(t, who.user), &casebridgev1.ListReferralsRequest{OrganizationId: who.org, CaseId: id})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.GetReferrals()) != 1 {
			t.Fatalf("%s lists %d referrals of the case, want its one", who.user, len(list.GetReferrals()))
		}
		check(who.user, "ListReferrals", list.GetReferrals()[0])
	}
	replayed := eventsAfter(t, env, caseworkerRS, created.GetCursor(), 2) // accepted, completed
	for _, e := range replayed {
		if e.GetCaseReference() != oldRef {
			t.Errorf("WatchReferrals replays %s to the former owner naming the case %q, want %q (new owner's: %q)",
				e.GetType(), e.GetCaseReference(), oldRef, newRef)
		}
	}

	// The new owner sees its own reference and the live attributes.
	c, err := env.Cases().GetCase(env.As(t, caseworkerMK), &casebridgev1.GetCaseRequest{Id: id})
	if err != nil || c.GetCase().GetReference() != newRef || c.GetCase().GetCoded().GetNationality() != "XK" {
		t.Fatalf("the new owner's case: %v %v", c.GetCase(), err)
	}
}

// TestPastPartnerDoesNotFollowCaseStatus: legal-b sees where the case
// stands while its referral is accepted; once it completed it, the
// coordination view still lists its referral but no longer the case's
// status — neither while shelter-a owns the case, nor after it moved on.
func TestPastPartnerDoesNotFollowCaseStatus(t *testing.T) {
	env := servertest.Start(t)
	refs := casebridgev1.NewReferralServiceClient(env.Conn)
	rs, lw := env.As(t, caseworkerRS), env.As(t, lawyerThird)
	id, r := referredAndAccepted(t, env)
	sh, err := refs.GetCaseSharing(lw, &casebridgev1.GetCaseSharingRequest{CaseId: id})
	if err != nil || sh.GetSharing().GetCaseStatus() != casebridgev1.CaseStatus_CASE_STATUS_OPEN {
		t.Fatalf("a current partner sees the case's status: %v %v", sh, err)
	}
	if _, err := refs.CompleteReferral(lw, &casebridgev1.CompleteReferralRequest{Id: r.GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Cases().StartAssistance(rs, &casebridgev1.StartAssistanceRequest{Id: id}); err != nil {
		t.Fatal(err)
	}
	pastView := func(when string) {
		t.Helper()
		sh, err := refs.GetCaseSharing(lw, &casebridgev1.GetCaseSharingRequest{CaseId: id})
		if err != nil {
			t.Fatalf("%s: the past partner keeps its coordination view: %v", when, err)
		}
		if st := sh.GetSharing().GetCaseStatus(); st != casebridgev1.CaseStatus_CASE_STATUS_UNSPECIFIED {
			t.Errorf("%s: past partner legal-b reads the case's status %s", when, st)
		}
		if n := len(sh.GetSharing().GetReferrals()); n != 1 {
			t.Errorf("%s: past partner sees %d referrals, want its own", when, n)
		}
	}
	pastView("after completing")
	own, err := refs.GetCaseSharing(rs, &casebridgev1.GetCaseSharingRequest{CaseId: id})
	if err != nil || own.GetSharing().GetCaseStatus() != casebridgev1.CaseStatus_CASE_STATUS_IN_ASSISTANCE {
		t.Fatalf("the owner sees the case's status: %v %v", own, err)
	}
	transferToCSO(t, env, id)
	pastView("after the transfer")
}

// TestFollowerSeesOnlyStatusAndCodedAttributes: shelter-a transferred the
// case to cso-c and follows it under the person's follow-up consent. GetCase
// and ListCases, in any view, give it the case's id, status and coded
// attributes and nothing else: not cso-c's reference, not that cso-c owns it,
// not who works on it or when it last changed, not even which sensitive
// classes exist. Nor can ListCases' filters on what the view leaves out
// (reference, owner, assignee, update time) tell it those, nor the transfer
// record (the receiver's reference).
func TestFollowerSeesOnlyStatusAndCodedAttributes(t *testing.T) {
	env := servertest.Start(t)
	rs := env.As(t, caseworkerRS)
	id := newCase(t, env)
	consent(t, env, id, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_FOLLOW_UP, "shelter-a")
	newRef := transferToCSO(t, env, id)
	recodeAsNewOwner(t, env, id, "XK")
	// cso-c has no supervisor in the demo world to assign the case: set
	// the assignment its supervisor would make.
	if _, err := env.Pool.Exec(bg(), `UPDATE cases SET assigned_caseworker = $2 WHERE id = $1`, id, caseworkerMK); err != nil {
		t.Fatal(err)
	}

	followerView := func(what string, c *casebridgev1.Case) {
		t.Helper()
		want := &casebridgev1.Case{Id: id, Status: casebridgev1.CaseStatus_CASE_STATUS_OPEN, Coded: c.GetCoded()}
		if c.GetCoded().GetNationality() != "XK" || c.GetCoded().GetSex() != casebridgev1.Sex_SEX_FEMALE {
			t.Errorf("%s: the follower must see the case's current coded attributes: %v", what, c.GetCoded())
		}
		if !proto.Equal(c, want) {
			t.Errorf("%s: the follower sees more than id, status and coded attributes:\n got %v\nwant %v", what, c, want)
		}
	}
	for _, view := range []casebridgev1.CaseView{casebridgev1.CaseView_CASE_VIEW_UNSPECIFIED, casebridgev1.CaseView_CASE_VIEW_BASIC, casebridgev1.CaseView_CASE_VIEW_FULL} {
		got, err := env.Cases().GetCase(rs, &casebridgev1.GetCaseRequest{Id: id, View: view})
		if err != nil {
			t.Fatalf("the follower reads the case: %v", err)
		}
		followerView("GetCase "+view.String(), got.GetCase())
		list, err := env.Cases().ListCases(rs, &casebridgev1.ListCasesRequest{View: view})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(list.GetCases(), func(c *casebridgev1.Case) bool { return c.GetId() == id })
		if i < 0 {
			t.Fatalf("ListCases %s: the followed case is missing", view)
		}
		followerView("ListCases "+view.String(), list.GetCases()[i])
	}

	// Filters on what the follower view withholds find nothing.
	for name, req := range map[string]*casebridgev1.ListCasesRequest{
		"reference":           {Reference: newRef},
		"organization_id":     {OrganizationId: "cso-c"},
		"assigned_caseworker": {AssignedCaseworker: caseworkerMK},
		"updated_since":       {UpdatedSince: timestamppb.New(time.Now().Add(-time.Hour))},
	} {
		list, err := env.Cases().ListCases(rs, req)
		if err != nil {
			t.Fatalf("ListCases by %s: %v", name, err)
		}
		if slices.ContainsFunc(list.GetCases(), func(c *casebridgev1.Case) bool { return c.GetId() == id }) {
			t.Errorf("ListCases filtered by %s tells the follower that the case matches", name)
		}
	}
	// A filter on what the follower does see still works.
	list, err := env.Cases().ListCases(rs, &casebridgev1.ListCasesRequest{Status: casebridgev1.CaseStatus_CASE_STATUS_OPEN})
	if err != nil || !slices.ContainsFunc(list.GetCases(), func(c *casebridgev1.Case) bool { return c.GetId() == id }) {
		t.Fatalf("ListCases by status must list the followed case: %v", err)
	}
	// Nor does the transfer record tell the sender the receiver's reference.
	tl, err := transfersOf(env).ListTransfers(rs, &casebridgev1.ListTransfersRequest{CaseId: id})
	if err != nil || len(tl.GetTransfers()) != 1 {
		t.Fatalf("the sender's transfers of the case: %v %v", tl, err)
	}
	if r := tl.GetTransfers()[0].GetToReference(); r != "" {
		t.Errorf("ListTransfers gives the former owner the receiver's reference %q", r)
	}
	gt, err := transfersOf(env).GetTransfer(rs, &casebridgev1.GetTransferRequest{Id: tl.GetTransfers()[0].GetId()})
	if err != nil || gt.GetTransfer().GetToReference() != "" || gt.GetTransfer().GetFromReference() == "" {
		t.Errorf("GetTransfer as the former owner: %v %v", gt.GetTransfer(), err)
	}
	rt, err := transfersOf(env).GetTransfer(env.As(t, caseworkerMK), &casebridgev1.GetTransferRequest{Id: tl.GetTransfers()[0].GetId()})
	if err != nil || rt.GetTransfer().GetToReference() != newRef {
		t.Errorf("the receiver reads its own reference on the transfer: %v %v", rt.GetTransfer(), err)
	}
	// The new owner's own filters are unaffected.
	mine, err := env.Cases().ListCases(env.As(t, caseworkerMK), &casebridgev1.ListCasesRequest{Reference: newRef})
	if err != nil || len(mine.GetCases()) != 1 || mine.GetCases()[0].GetId() != id {
		t.Fatalf("the owner's ListCases by reference: %v %v", mine, err)
	}
}
