package cases_test

import (
	"context"
	"sync"
	"testing"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// named reports whether call rid left an event naming class.
func named(tr servertest.AuditTrail, rid string, class casebridgev1.DataClass) bool {
	for _, ev := range tr[rid] {
		for _, c := range ev.GetClasses() {
			if c == class {
				return true
			}
		}
	}
	return false
}

func methodIn(cs []*casebridgev1.Consent, m string) bool {
	for _, c := range cs {
		if c.GetMethod() == m {
			return true
		}
	}
	return false
}

const legal = casebridgev1.DataClass_DATA_CLASS_LEGAL

// TestConsentMethodReadsAreAuditedAndGated: the consent method is sealed
// legal text. ListConsents answers the owner with it and records a read of
// the legal class; a partner whose referral grants care only sees the
// consent with the method left empty, and no legal read is on record.
func TestConsentMethodReadsAreAuditedAndGated(t *testing.T) {
	env := servertest.Start(t)
	s := env.SealedCase(t) // its consent to cso-c has MarkMethod; cso-c is granted care only
	cs := env.Cases()

	own, err := cs.ListConsents(servertest.WithRequestID(env.As(t, caseworker), "list-owner"), &casebridgev1.ListConsentsRequest{CaseId: s.CaseID})
	if err != nil {
		t.Fatal(err)
	}
	partner, err := cs.ListConsents(servertest.WithRequestID(env.As(t, "caseworker@cso-c"), "list-partner"), &casebridgev1.ListConsentsRequest{CaseId: s.CaseID})
	if err != nil {
		t.Fatal(err)
	}
	tr := env.AuditTrail(t, s.CaseID)
	if !methodIn(own.GetConsents(), servertest.MarkMethod) {
		t.Fatalf("owner's ListConsents lacks the method %q: %v", servertest.MarkMethod, own.GetConsents())
	}
	if !named(tr, "list-owner", legal) {
		t.Errorf("owner's ListConsents returned the sealed method but recorded no read of the legal class: %v", tr["list-owner"])
	}
	if len(partner.GetConsents()) == 0 {
		t.Fatal("partner sees no consent at all")
	}
	for _, c := range partner.GetConsents() {
		if c.GetMethod() != "" {
			t.Errorf("cso-c, granted the care class only, reads consent %s's method %q (legal class)", c.GetId(), c.GetMethod())
		}
	}
	if named(tr, "list-partner", legal) {
		t.Errorf("partner's ListConsents recorded a legal read it was not given: %v", tr["list-partner"])
	}
}

// TestConsentAnswersAreAuditedReads: a retried RecordConsent answers with
// the first attempt's consent, and WithdrawConsent with the withdrawn one,
// each with its method in clear: each is on record as a read of the legal
// class. A retry names what the stored consent holds, not what the retry
// sent.
func TestConsentAnswersAreAuditedReads(t *testing.T) {
	env := servertest.Start(t)
	id := env.NewMarkedCase(t)
	cs := env.Cases()
	cw := env.As(t, caseworker)
	req := func(rid, method string) *casebridgev1.RecordConsentRequest {
		return &casebridgev1.RecordConsentRequest{CaseId: id, RequestId: rid,
			Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
			Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: "legal-b"}, Method: method}
	}
	const withMethod, without = "7d1f6f0e-2f7a-4c55-9d0e-1b2c3d4e5f60", "8e2a7f1b-3a8b-4d66-8e1f-2c3d4e5f6a71"
	const method = "Marker-Method-Retry-4471 signed form"

	first, err := cs.RecordConsent(cw, req(withMethod, method))
	if err != nil {
		t.Fatal(err)
	}
	again, err := cs.RecordConsent(servertest.WithRequestID(cw, "retry-stored-method"), req(withMethod, ""))
	if err != nil {
		t.Fatal(err)
	}
	if again.GetConsent().GetId() != first.GetConsent().GetId() || again.GetConsent().GetMethod() != method {
		t.Fatalf("retry answered %v, want the first attempt's consent with its method", again.GetConsent())
	}
	plain, err := cs.RecordConsent(cw, req(without, ""))
	if err != nil {
		t.Fatal(err)
	}
	plainAgain, err := cs.RecordConsent(servertest.WithRequestID(cw, "retry-new-method"), req(without, "Marker-Method-Never-Stored"))
	if err != nil {
		t.Fatal(err)
	}
	if plainAgain.GetConsent().GetId() != plain.GetConsent().GetId() || plainAgain.GetConsent().GetMethod() != "" {
		t.Fatalf("retry answered %v, want the first attempt's consent, no method", plainAgain.GetConsent())
	}
	wd, err := cs.WithdrawConsent(servertest.WithRequestID(cw, "withdraw"), &casebridgev1.WithdrawConsentRequest{CaseId: id, ConsentId: first.GetConsent().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if wd.GetConsent().GetMethod() != method {
		t.Fatalf("withdrawal answered method %q, want %q", wd.GetConsent().GetMethod(), method)
	}

	tr := env.AuditTrail(t, id)
	if !named(tr, "retry-stored-method", legal) {
		t.Errorf("retried RecordConsent returned the stored method; its events name no legal read: %v", tr["retry-stored-method"])
	}
	if named(tr, "retry-new-method", legal) {
		t.Errorf("retried RecordConsent returned no method yet its events name the legal class of a method never stored: %v", tr["retry-new-method"])
	}
	if !named(tr, "withdraw", legal) {
		t.Errorf("WithdrawConsent returned the method; its events name no legal read: %v", tr["withdraw"])
	}
}

// TestRetriedAddNoteIsAuditedRead: a retried AddNote (same request_id)
// answers with the stored note in clear; that is a read of its class.
func TestRetriedAddNoteIsAuditedRead(t *testing.T) {
	env := servertest.Start(t)
	id := env.NewMarkedCase(t)
	cw := env.As(t, caseworker)
	req := &casebridgev1.AddNoteRequest{CaseId: id, DataClass: casebridgev1.DataClass_DATA_CLASS_CONTACT,
		Text: "Marker-NoteRetry-4471 new address", RequestId: "5b0c9d2e-1f3a-4b6c-8d7e-9f0a1b2c3d4e"}
	if _, err := env.Cases().AddNote(cw, req); err != nil {
		t.Fatal(err)
	}
	again, err := env.Cases().AddNote(servertest.WithRequestID(cw, "note-retry"), req)
	if err != nil {
		t.Fatal(err)
	}
	if again.GetNote().GetText() != req.Text {
		t.Fatalf("retry answered %v, want the stored note", again.GetNote())
	}
	tr := env.AuditTrail(t, id)
	if !named(tr, "note-retry", casebridgev1.DataClass_DATA_CLASS_CONTACT) {
		t.Errorf("retried AddNote returned the contact note in clear; its events name no contact read: %v", tr["note-retry"])
	}
}

// TestRetriedRecordConsentWritesNothing: a retry finds the first attempt's
// consent and leaves its row as that attempt wrote it, so every version of
// a consent row is written by a transaction that recorded its event.
func TestRetriedRecordConsentWritesNothing(t *testing.T) {
	env := servertest.Start(t)
	id := env.NewMarkedCase(t)
	cw := env.As(t, caseworker)
	req := &casebridgev1.RecordConsentRequest{CaseId: id, RequestId: "0c4b2a19-6d3e-4f5a-8b7c-9d0e1f2a3b4c",
		Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: "legal-b"}}
	first, err := env.Cases().RecordConsent(servertest.WithRequestID(cw, "consent-first"), req)
	if err != nil {
		t.Fatal(err)
	}
	xmin := func() string {
		var x string
		if err := env.Pool.QueryRow(context.Background(), `SELECT xmin::text FROM consents WHERE id = $1`, first.GetConsent().GetId()).Scan(&x); err != nil {
			t.Fatal(err)
		}
		return x
	}
	before := xmin()
	again, err := env.Cases().RecordConsent(servertest.WithRequestID(cw, "consent-retry"), req)
	if err != nil {
		t.Fatal(err)
	}
	if again.GetConsent().GetId() != first.GetConsent().GetId() {
		t.Fatalf("retry made consent %s, want the first attempt's %s", again.GetConsent().GetId(), first.GetConsent().GetId())
	}
	if after := xmin(); after != before {
		t.Errorf("the retry rewrote the consent row (xmin %s -> %s) in a transaction that records no change", before, after)
	}
	for _, ev := range env.AuditTrail(t, id)["consent-first"] {
		if ev.GetMethod() == "/casebridge.v1.CaseService/RecordConsent" {
			env.SameTx(t, ev, `SELECT xmin FROM consents WHERE id = $1`, first.GetConsent().GetId())
		}
	}
}

// TestRetriedAddNoteWritesNothing: a retry finds the first attempt's note
// and leaves its row as that attempt wrote it; the case still holds one
// note of that request.
func TestRetriedAddNoteWritesNothing(t *testing.T) {
	env := servertest.Start(t)
	id := env.NewMarkedCase(t)
	cw := env.As(t, caseworker)
	req := &casebridgev1.AddNoteRequest{CaseId: id, DataClass: casebridgev1.DataClass_DATA_CLASS_CARE,
		Text: "Marker-NoteOnce-3318 sleeps badly", RequestId: "1d2e3f4a-5b6c-4d7e-8f90-a1b2c3d4e5f6"}
	first, err := env.Cases().AddNote(cw, req)
	if err != nil {
		t.Fatal(err)
	}
	xmin := func() string {
		var x string
		if err := env.Pool.QueryRow(context.Background(), `SELECT xmin::text FROM case_notes WHERE id = $1`, first.GetNote().GetId()).Scan(&x); err != nil {
			t.Fatal(err)
		}
		return x
	}
	before := xmin()
	again, err := env.Cases().AddNote(cw, req)
	if err != nil {
		t.Fatal(err)
	}
	if again.GetNote().GetId() != first.GetNote().GetId() {
		t.Fatalf("retry made note %s, want the first attempt's %s", again.GetNote().GetId(), first.GetNote().GetId())
	}
	if after := xmin(); after != before {
		t.Errorf("the retry rewrote the note row (xmin %s -> %s)", before, after)
	}
	var n int
	if err := env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM case_notes WHERE case_id = $1`, id).Scan(&n); err != nil || n != 1 {
		t.Fatalf("case holds %d notes (%v), want 1", n, err)
	}
}

// TestConcurrentRetriesMakeOneRow: attempts of one request id racing each
// other record one consent and add one note, and every attempt answers
// with that row.
func TestConcurrentRetriesMakeOneRow(t *testing.T) {
	env := servertest.Start(t)
	id := env.NewMarkedCase(t)
	cw := env.As(t, caseworker)
	consent := &casebridgev1.RecordConsentRequest{CaseId: id, RequestId: "2e3f4a5b-6c7d-4e8f-9a01-b2c3d4e5f6a7",
		Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_ASSISTANCE, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: "legal-b"}}
	note := &casebridgev1.AddNoteRequest{CaseId: id, DataClass: casebridgev1.DataClass_DATA_CLASS_CARE,
		Text: "Marker-NoteRace-7720", RequestId: "3f4a5b6c-7d8e-4f90-8a12-c3d4e5f6a7b8"}
	const n = 4
	consents, notes := make([]string, n), make([]string, n)
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r, err := env.Cases().RecordConsent(cw, consent)
			consents[i] = r.GetConsent().GetId()
			errs <- err
		}()
		go func() {
			defer wg.Done()
			r, err := env.Cases().AddNote(cw, note)
			notes[i] = r.GetNote().GetId()
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if consents[i] != consents[0] || notes[i] != notes[0] {
			t.Fatalf("attempts answered consents %v, notes %v: want one of each", consents, notes)
		}
	}
	for table, want := range map[string]int{"consents": 1, "case_notes": 1} {
		var got int
		if err := env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table+` WHERE case_id = $1`, id).Scan(&got); err != nil || got != want {
			t.Errorf("%s holds %d rows of the case (%v), want %d", table, got, err, want)
		}
	}
}
