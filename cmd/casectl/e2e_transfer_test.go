package main_test

import (
	"strings"
	"testing"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestTransferAndCoVictimCommands: with casectl against a real server, a
// Serbian shelter hands a case to a North Macedonian CSO (consent, propose,
// accept) and keeps its status under a follow-up consent; a transfer is
// declined and another cancelled, by reference; and a lawyer links two
// persons' proceedings into one trial.
func TestTransferAndCoVictimCommands(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	srv := w.start(freeAddr(t))
	cw, sv, mk, lw := w.user("caseworker@shelter-a", srv), w.user("supervisor@shelter-a", srv), w.user("caseworker@cso-c", srv), w.user("lawyer@legal-b", srv)
	for _, u := range []*user{cw, sv, mk, lw} {
		u.login()
	}
	newCase := func() string {
		var c casebridgev1.Case
		decode(t, cw.ok("cases", "new", "--sex", "female", "--nationality", "MK", "--country", "RS", "--given-names", "Marker-Given-6120", "-o", "json"), &c)
		return c.GetReference()
	}

	ref := newCase()
	cw.ok("consent", "add", ref, "--purpose", "transfer", "--to", "cso-c", "--method", "signed form")
	cw.ok("consent", "add", ref, "--purpose", "follow-up", "--to", "shelter-a", "--method", "signed form")
	cw.fails(1, "", "transfer", "propose", ref, "--to", "cso-c") // a caseworker does not hand cases away
	contains(t, sv.ok("transfer", "propose", ref, "--to", "cso-c"), "Status:", "proposed", "status only")
	mk.fails(1, "not found", "cases", "show", ref)
	contains(t, mk.ok("transfer", "list"), ref, "proposed", "shelter-a", "cso-c")
	var done casebridgev1.Transfer
	decode(t, mk.ok("transfer", "accept", ref, "-o", "json"), &done)
	if done.GetStatus() != casebridgev1.TransferStatus_TRANSFER_STATUS_ACCEPTED || done.GetToReference() == "" {
		t.Fatalf("accepted transfer: %v", &done)
	}
	contains(t, mk.ok("cases", "show", done.GetToReference()), "Marker-Given-6120")
	// The follower does not learn the receiver's reference: it names the
	// case by its id.
	followed := cw.ok("cases", "show", done.GetCaseId())
	if strings.Contains(followed.stdout, "Marker-Given-6120") {
		t.Fatalf("the former owner reads the identity after the transfer:\n%s", followed)
	}
	mk.fails(1, "is accepted", "transfer", "decline", done.GetId())

	declined := newCase()
	cw.ok("consent", "add", declined, "--purpose", "transfer", "--to", "cso-c")
	sv.ok("transfer", "propose", declined, "--to", "cso-c")
	contains(t, mk.ok("transfer", "decline", declined), "declined")
	contains(t, sv.ok("cases", "show", declined), "Marker-Given-6120")

	cancelled := newCase()
	cw.ok("consent", "add", cancelled, "--purpose", "transfer", "--to", "cso-c")
	sv.ok("transfer", "propose", cancelled, "--to", "cso-c")
	contains(t, sv.ok("transfer", "cancel", cancelled), "cancelled")
	mk.fails(1, "no proposed transfer", "transfer", "accept", cancelled)

	// Two persons of one trial, both represented by legal-b.
	var refs []string
	for range 2 {
		r := newCase()
		cw.ok("consent", "add", r, "--purpose", "legal-representation", "--to", "legal-b")
		cw.ok("refer", r, "--to", "legal-b", "--service", "legal", "--classes", "legal")
		lw.ok("referrals", "accept", r)
		lw.ok("proceedings", "new", r, "--kind", "criminal", "--stage", "indictment", "--court", "Higher Court in Belgrade",
			"--docket", "K 77/2026", "--tz", "Europe/Belgrade", "--role", "injured-party")
		refs = append(refs, r)
	}
	var linked casebridgev1.Proceeding
	decode(t, lw.ok("proceedings", "link", refs[0], "--with", refs[1], "-o", "json"), &linked)
	if linked.GetTrialId() == "" {
		t.Fatalf("linked proceeding: %v", &linked)
	}
	contains(t, lw.ok("proceedings", "show", refs[1]), "Trial:", linked.GetTrialId())
	lw.fails(2, "--with", "proceedings", "link", refs[0])
}
