package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/web"
	"github.com/casebridge/casebridge/internal/web/webtest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestLawyerChangesCourtRecords is the rest of a lawyer's court day in a
// real browser, on what is already recorded: a hearing moved (typed in the
// court's zone, the web client running in UTC), a stale edit refused as a
// change by someone else with the current version shown, a past time
// refused beside the date field, a hearing cancelled (a reason is
// required), deadlines added and marked met and missed (one opened again
// and cancelled), the stage moved
// and the decision recorded, and a claim rejected, appealed, awarded,
// paid, overpaid (refused in plain words), an entry reversed, a
// correction below zero refused, and the claim marked unenforceable. Each
// change is checked on the page that follows the form and in the API.
// Caseworkers do not get the court pages, and a form without its CSRF
// token is refused.
func TestLawyerChangesCourtRecords(t *testing.T) {
	env := webtest.Start(t, func(c *web.Config) { c.TimeZone = "UTC" })
	caseID := env.API.ReferredCase(t)
	pr := env.API.NewProceeding(t, caseID, servertest.CriminalProceeding())
	pid := pr.GetId()
	// Each call gets a context of its own: As gives one 30 s, and the
	// whole day takes longer.
	as := func() context.Context { return env.API.As(t, "lawyer@legal-b") }
	ps := casebridgev1.NewProceedingServiceClient(env.API.Conn)
	comp := casebridgev1.NewCompensationServiceClient(env.API.Conn)
	belgrade := mustZone(t, "Europe/Belgrade")
	now := time.Now().In(belgrade)
	at := func(days, hour, minute int) time.Time {
		d := now.AddDate(0, 0, days)
		return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, belgrade)
	}
	addHearing := func(start time.Time, typ casebridgev1.HearingType) string {
		resp, err := ps.AddHearing(as(), &casebridgev1.AddHearingRequest{ProceedingId: pid, Hearing: &casebridgev1.Hearing{
			StartTime: timestamppb.New(start), Type: typ, Status: casebridgev1.HearingStatus_HEARING_STATUS_SCHEDULED}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetHearing().GetId()
	}
	h1 := addHearing(at(3, 9, 30), casebridgev1.HearingType_HEARING_TYPE_MAIN)
	h2 := addHearing(at(4, 10, 0), casebridgev1.HearingType_HEARING_TYPE_PRELIMINARY)
	hearing := func(id string) *casebridgev1.Hearing {
		l, err := ps.ListHearings(as(), &casebridgev1.ListHearingsRequest{ProceedingId: pid})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range l.GetHearings() {
			if h.GetId() == id {
				return h
			}
		}
		t.Fatalf("hearing %s is not listed", id)
		return nil
	}
	cl, err := comp.CreateClaim(as(), &casebridgev1.CreateClaimRequest{CaseId: caseID, Claim: &casebridgev1.Claim{
		Type: casebridgev1.ClaimType_CLAIM_TYPE_CRIMINAL_PROCEEDINGS, ProceedingId: pid,
		AmountClaimed: &casebridgev1.Money{CurrencyCode: "EUR", AmountMinor: 500000}}})
	if err != nil {
		t.Fatal(err)
	}
	cid := cl.GetClaim().GetId()
	if _, err := comp.FileClaim(as(), &casebridgev1.FileClaimRequest{Id: cid}); err != nil {
		t.Fatal(err)
	}
	claim := func() *casebridgev1.Claim {
		c, err := comp.GetClaim(as(), &casebridgev1.GetClaimRequest{Id: cid})
		if err != nil {
			t.Fatal(err)
		}
		return c.GetClaim()
	}

	b := webtest.NewBrowser(t)
	env.SignIn(t, b, "lawyer@legal-b")
	court := env.URL + "/cases/" + caseID + "/court"
	webtest.Do(t, b, "the court page", chromedp.Navigate(court))
	text := func(sel string) string {
		t.Helper()
		return webtest.Get(t, b, "read "+sel, chromedp.TextContent(chromedp.CSS(sel)))
	}
	want := func(what, sel string, wants ...string) {
		t.Helper()
		got := text(sel)
		for _, w := range wants {
			if !strings.Contains(got, w) {
				t.Fatalf("%s: %s reads %q, want %q", what, sel, got, w)
			}
		}
	}
	// open unfolds the part of the page holding sel, as a click on its
	// summary does (it stays open when a refusal is shown in it).
	open := func(sel string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](`document.querySelector('details:has(` + sel + `)').open = true`)
	}
	submit := func(what, button string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		webtest.Submit(t, b, what, append(steps, chromedp.Click(chromedp.CSS(button)))...)
	}

	// The hearing moves to 14:15 at the court, five days on.
	moved := at(5, 14, 15)
	submit("move the hearing", "#save-hearing-"+h1, open("#save-hearing-"+h1),
		chromedp.SetValue(chromedp.ID("hd-date-"+h1), moved.Format(time.DateOnly)),
		chromedp.SetValue(chromedp.ID("hd-time-"+h1), "14:15"))
	zone, _ := moved.Zone()
	want("moved hearing", "body", "The hearing was changed.")
	want("moved hearing", "#hearing-"+h1+" .when", "14:15 "+zone)
	if got := hearing(h1).GetStartTime().AsTime(); !got.Equal(moved) {
		t.Fatalf("the hearing starts at %v, want %v", got, moved)
	}

	// Someone else changes it meanwhile: the page's edit is refused, and
	// the page now shows their change.
	cur := hearing(h1)
	if _, err := ps.UpdateHearing(as(), &casebridgev1.UpdateHearingRequest{Hearing: &casebridgev1.Hearing{Id: h1, Outcome: "adjourned for expert witness"},
		Etag: cur.GetEtag(), UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"outcome"}}}); err != nil {
		t.Fatal(err)
	}
	submit("edit a stale hearing", "#save-hearing-"+h1, open("#save-hearing-"+h1), chromedp.SetValue(chromedp.ID("hd-time-"+h1), "16:00"))
	want("stale edit", "#problem", "changed by someone else")
	want("stale edit", "#hearing-"+h1+" .hearing-outcome", "adjourned for expert witness")
	if got := hearing(h1).GetStartTime().AsTime(); !got.Equal(moved) {
		t.Fatalf("a stale edit moved the hearing to %v", got)
	}

	// A time already past: the server's refusal shows beside the date.
	submit("schedule in the past", "#save-hearing-"+h1, open("#save-hearing-"+h1),
		chromedp.SetValue(chromedp.ID("hd-date-"+h1), at(-1, 9, 0).Format(time.DateOnly)))
	want("past time", "#err-date-"+h1, "This time has passed")
	if inv := webtest.Get(t, b, "aria-invalid", chromedp.Evaluate[string](`document.getElementById('hd-date-`+h1+`').getAttribute('aria-invalid') || ''`)); inv != "true" {
		t.Fatalf("the date field is not marked invalid: %q", inv)
	}

	// Cancelling needs a reason.
	submit("cancel without a reason", "#cancel-hearing-"+h2, open("#cancel-hearing-"+h2))
	want("cancel without reason", "#err-cancel_reason-"+h2, "Give a reason.")
	submit("cancel the hearing", "#cancel-hearing-"+h2, open("#cancel-hearing-"+h2), chromedp.SendKeys(chromedp.ID("hc-reason-"+h2), "court moved the session"))
	want("cancelled", "#hearing-"+h2+" .hearing-status", "Cancelled")
	if st := hearing(h2).GetStatus(); st != casebridgev1.HearingStatus_HEARING_STATUS_CANCELLED {
		t.Fatalf("hearing status %v", st)
	}

	// Two deadlines: one met, one missed.
	for _, d := range []struct{ kind, desc string }{{"DEADLINE_KIND_APPEAL", "appeal against the judgment"}, {"DEADLINE_KIND_FILING", "file the property claim"}} {
		submit("add a deadline", "#add-deadline-"+pid,
			chromedp.SetValue(chromedp.ID("d-date-"+pid), at(10, 0, 0).Format(time.DateOnly)),
			chromedp.SetValue(chromedp.ID("d-kind-"+pid), d.kind),
			chromedp.SendKeys(chromedp.ID("d-desc-"+pid), d.desc))
		want("deadline added", "body", "The deadline was added.", d.desc)
	}
	dl, err := ps.ListDeadlines(as(), &casebridgev1.ListDeadlinesRequest{ProceedingId: pid})
	if err != nil || len(dl.GetDeadlines()) != 2 {
		t.Fatalf("deadlines: %v %v", dl.GetDeadlines(), err)
	}
	met, missed := dl.GetDeadlines()[0].GetId(), dl.GetDeadlines()[1].GetId()
	submit("mark met", "#met-"+met)
	want("met", "#deadline-"+met+" .deadline-status", "Met")
	submit("mark missed", "#missed-"+missed)
	want("missed", "#deadline-"+missed+" .deadline-status", "Missed")
	dl, _ = ps.ListDeadlines(as(), &casebridgev1.ListDeadlinesRequest{ProceedingId: pid})
	for _, d := range dl.GetDeadlines() {
		if w := map[string]casebridgev1.DeadlineStatus{met: casebridgev1.DeadlineStatus_DEADLINE_STATUS_MET, missed: casebridgev1.DeadlineStatus_DEADLINE_STATUS_MISSED}[d.GetId()]; d.GetStatus() != w {
			t.Fatalf("deadline %s is %v, want %v", d.GetId(), d.GetStatus(), w)
		}
	}
	// Marked missed by mistake: open again, then cancelled, as it no longer applies.
	submit("open again", "#reopen-"+missed)
	want("reopened", "#deadline-"+missed+" .deadline-status", "Open")
	submit("cancel the deadline", "#cancel-deadline-"+missed, open("#cancel-deadline-"+missed),
		chromedp.SendKeys(chromedp.ID("dc-reason-"+missed), "the judgment was not appealable"))
	want("cancelled", "#deadline-"+missed, "Cancelled", "the judgment was not appealable")
	dl, _ = ps.ListDeadlines(as(), &casebridgev1.ListDeadlinesRequest{ProceedingId: pid})
	for _, d := range dl.GetDeadlines() {
		if d.GetId() == missed && d.GetStatus() != casebridgev1.DeadlineStatus_DEADLINE_STATUS_CANCELLED {
			t.Fatalf("deadline %s is %v after cancelling", d.GetId(), d.GetStatus())
		}
	}

	// The stage moves to first instance, and the decision there is recorded.
	submit("advance the stage", "#advance-"+pid, chromedp.SetValue(chromedp.ID("stage-"+pid), "PROCEEDING_STAGE_FIRST_INSTANCE"))
	want("stage", "#proceeding-"+pid+" .stage", "First instance")
	submit("record the decision", "#record-outcome-"+pid, open("#record-outcome-"+pid),
		chromedp.SetValue(chromedp.ID("o-kind-"+pid), "OUTCOME_KIND_CONVICTION"),
		chromedp.SetValue(chromedp.ID("o-decision-"+pid), time.Now().UTC().Format(time.DateOnly)),
		chromedp.SendKeys(chromedp.ID("o-sentence-"+pid), "5 years' imprisonment"))
	want("decision", "body", "The decision was recorded.")
	want("decision", "#proceeding-"+pid, "Conviction", "5 years' imprisonment")
	p, err := ps.GetProceeding(as(), &casebridgev1.GetProceedingRequest{Id: pid})
	if err != nil {
		t.Fatal(err)
	}
	if o := p.GetProceeding().GetOutcome(); o.GetKind() != casebridgev1.OutcomeKind_OUTCOME_KIND_CONVICTION ||
		o.GetDecidedAt() != casebridgev1.ProceedingStage_PROCEEDING_STAGE_FIRST_INSTANCE || p.GetProceeding().GetStage() != casebridgev1.ProceedingStage_PROCEEDING_STAGE_FIRST_INSTANCE {
		t.Fatalf("proceeding after the forms: stage %v, outcome %v", p.GetProceeding().GetStage(), o)
	}

	// The claim: rejected, appealed, then 3,000 awarded on appeal.
	status := "#claim-" + cid + " .claim-status"
	submit("reject", "#reject-"+cid, open("#reject-"+cid))
	want("rejected", status, "Rejected")
	submit("appeal", "#appeal-"+cid, open("#appeal-"+cid), chromedp.SendKeys(chromedp.ID("ap-reason-"+cid), "the injured party appealed"))
	want("appealed", status, "Appealed")
	submit("award on appeal", "#award-"+cid, chromedp.SendKeys(chromedp.ID("a-amount-"+cid), "3000"))
	want("awarded", status, "Partly awarded")
	submit("pay 1,000", "#pay-"+cid, chromedp.SendKeys(chromedp.ID("pay-amount-"+cid), "1000"))
	want("paid", "#ledger .paid", "1,000.00")
	// More than the award: refused, in plain words.
	submit("overpay", "#pay-"+cid, chromedp.SendKeys(chromedp.ID("pay-amount-"+cid), "2500"))
	want("overpaid", "#problem", "above the award", "correction")
	if got := claim().GetAmountPaid().GetAmountMinor(); got != 100000 {
		t.Fatalf("paid after a refused overpayment: %d", got)
	}
	// The 1,000 was entered by mistake: reversed, it stays in the ledger.
	pays, err := comp.ListPayments(as(), &casebridgev1.ListPaymentsRequest{ClaimId: cid})
	if err != nil || len(pays.GetPayments()) != 1 {
		t.Fatalf("payments: %v %v", pays.GetPayments(), err)
	}
	entry := pays.GetPayments()[0].GetId()
	submit("reverse the entry", "#reverse-"+entry, open("#reverse-"+entry), chromedp.SendKeys(chromedp.ID("rv-reason-"+entry), "entered for the wrong claim"))
	want("reversed", "#payment-"+entry, "corrected")
	want("reversed", "table.payments", "entered for the wrong claim")
	pays, _ = comp.ListPayments(as(), &casebridgev1.ListPaymentsRequest{ClaimId: cid})
	var rev *casebridgev1.Payment
	for _, p := range pays.GetPayments() {
		if p.GetCorrection() {
			rev = p
		}
	}
	if rev == nil || rev.GetCorrectsPaymentId() != entry || rev.GetAmount().GetAmountMinor() != -100000 || claim().GetAmountPaid().GetAmountMinor() != 0 {
		t.Fatalf("after the reversal: %v, paid %v", pays.GetPayments(), claim().GetAmountPaid())
	}
	// A correction below zero is refused, in plain words.
	submit("correct below zero", "#correct-"+cid, open("#correct-"+cid),
		chromedp.SendKeys(chromedp.ID("co-amount-"+cid), "-50"), chromedp.SendKeys(chromedp.ID("co-reason-"+cid), "bank fee"))
	want("below zero", "#problem", "less than zero")
	submit("unenforceable", "#unenforceable-"+cid, open("#unenforceable-"+cid), chromedp.SendKeys(chromedp.ID("u-reason-"+cid), "defendant insolvent"))
	want("unenforceable", status, "Unenforceable")
	if c := claim(); c.GetStatus() != casebridgev1.ClaimStatus_CLAIM_STATUS_UNENFORCEABLE || c.GetStatusReason() != "defendant insolvent" {
		t.Fatalf("claim after the forms: %v %q", c.GetStatus(), c.GetStatusReason())
	}
	webtest.Shot(t, b, "court-changes")

	// The owner's caseworker does not get the lawyer's pages; a form
	// without its token is refused.
	if st, _ := page(t, env.Client(t, "caseworker@shelter-a"), env.URL, "/cases/"+caseID+"/court"); st != http.StatusNotFound {
		t.Fatalf("caseworker on the court page: %d", st)
	}
	resp, err := env.Client(t, "lawyer@legal-b").PostForm(court+"/hearings/"+h1+"/cancel", url.Values{"reason": {"no token"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || hearing(h1).GetStatus() != casebridgev1.HearingStatus_HEARING_STATUS_SCHEDULED {
		t.Fatalf("a cancel without its token: %d, hearing %v", resp.StatusCode, hearing(h1).GetStatus())
	}
}
