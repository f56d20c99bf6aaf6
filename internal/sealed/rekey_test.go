package sealed_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/referral"
	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestRekeyKeepsEverySealedColumnReadable is the regression test of the
// data loss on revocation: a value is sealed in every registered column of
// one case, a referral to another organisation is revoked (which re-keys
// the case), and every value still opens — each with the case's new key,
// and through the API for the organisations that keep access.
//
// A column added to the registry that this test writes nothing into fails
// it: re-keying is generic over the registry, and this proves it for each
// entry.
func TestRekeyKeepsEverySealedColumnReadable(t *testing.T) {
	env := servertest.Start(t)
	sc := env.SealedCase(t)
	before := sealedInEveryColumn(t, env, sc.CaseID)

	// Revoke cso-c's sharing: the case is re-keyed.
	rs := casebridgev1.NewReferralServiceClient(env.Conn)
	if _, err := rs.RevokeSharing(env.As(t, "caseworker@shelter-a"), &casebridgev1.RevokeSharingRequest{Id: sc.Accepted}); err != nil {
		t.Fatalf("revoke sharing: %v", err)
	}
	checkRekeyed(t, env, sc, before)
}

// TestLapseKeepsEverySealedColumnReadable is the same for the re-key the
// server makes by itself: the consent cso-c's referral relies on lapses,
// the server's own consent sweep revokes the referral and re-keys the
// case, and every sealed value of the case still opens, for the owner and
// for legal-b, whose sharing stands on another consent.
func TestLapseKeepsEverySealedColumnReadable(t *testing.T) {
	env := servertest.Start(t, func(c *server.Config) { c.ConsentSweep = 100 * time.Millisecond })
	cw := env.As(t, "caseworker@shelter-a")
	rs := casebridgev1.NewReferralServiceClient(env.Conn)
	sc := env.SealedCase(t)
	before := sealedInEveryColumn(t, env, sc.CaseID)

	ref, err := rs.GetReferral(cw, &casebridgev1.GetReferralRequest{Id: sc.Accepted})
	if err != nil {
		t.Fatal(err)
	}
	// The API takes no expiry in the past: let the consent lapse in the
	// database, as time would.
	if _, err := env.Pool.Exec(context.Background(), `UPDATE consents SET expire_time = now() - interval '1 second' WHERE id = $1`,
		ref.GetReferral().GetConsentId()); err != nil {
		t.Fatal(err)
	}
	// Wait for the sweep in the database: a read through the API racing
	// the re-key is not what this test is about.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var status int16
		if err := env.Pool.QueryRow(context.Background(), `SELECT status FROM referrals WHERE id = $1`, sc.Accepted).Scan(&status); err != nil {
			t.Fatal(err)
		}
		if status == referral.Stored(referral.Revoked) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sweep did not end the referral on a lapsed consent (status %d)", status)
		}
	}
	if ref, err = rs.GetReferral(cw, &casebridgev1.GetReferralRequest{Id: sc.Accepted}); err != nil {
		t.Fatal(err)
	}
	if got := ref.GetReferral().GetEndReason(); got != "consent expired" {
		t.Fatalf("referral ended with reason %q, want the sweep's", got)
	}
	checkRekeyed(t, env, sc, before)
}

// sealedInEveryColumn loads every sealed value of case caseID and fails
// the test unless each registered column holds one.
func sealedInEveryColumn(t *testing.T, env *servertest.Env, caseID string) []sealed.Value {
	t.Helper()
	before, err := sealed.Load(context.Background(), env.Pool, caseID)
	if err != nil {
		t.Fatal(err)
	}
	filled := map[*vault.Column]bool{}
	for _, v := range before {
		filled[v.Column] = true
	}
	for _, c := range vault.Columns() {
		if !filled[c] {
			t.Errorf("the fixture writes nothing into registered column %s", c)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return before
}

// checkRekeyed checks that the case of sc was re-keyed with every one of
// its sealed values (before, as they were) kept: each re-encrypted, each
// opening with the case's new key to a marker of the fixture, and each
// read back through the API by the owner and by legal-b.
func checkRekeyed(t *testing.T, env *servertest.Env, sc servertest.Sealed, before []sealed.Value) {
	t.Helper()
	after, err := sealed.Load(context.Background(), env.Pool, sc.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("%d sealed values before the re-key, %d after", len(before), len(after))
	}
	key := caseKey(t, env, sc.CaseID)
	for i, v := range after {
		if bytes.Equal(v.Ciphertext, before[i].Ciphertext) {
			t.Errorf("%s row %s was not re-encrypted by the re-key", v.Column, v.ID)
		}
		plain, err := v.Column.Open(key, sc.CaseID, v.ID, v.Class, v.Ciphertext)
		if err != nil {
			t.Errorf("%s row %s does not open with the new case key: %v", v.Column, v.ID, err)
			continue
		}
		if !slices.ContainsFunc(servertest.Markers, func(m string) bool { return bytes.Contains(plain, []byte(m)) }) {
			t.Errorf("%s row %s opened to no marker of the fixture", v.Column, v.ID)
		}
	}
	checkReadable(t, env, sc)
}

// checkReadable reads every sealed value of sc's case through the API, as
// the owner's caseworker and legal-b's lawyer.
func checkReadable(t *testing.T, env *servertest.Env, sc servertest.Sealed) {
	t.Helper()
	cw, lw := env.As(t, "caseworker@shelter-a"), env.As(t, "lawyer@legal-b")
	ps := casebridgev1.NewProceedingServiceClient(env.Conn)
	cs := casebridgev1.NewCompensationServiceClient(env.Conn)
	rs := casebridgev1.NewReferralServiceClient(env.Conn)
	work := casebridgev1.NewCaseworkServiceClient(env.Conn)
	check := func(what string, err error, got string, want ...string) {
		t.Helper()
		if err != nil {
			t.Errorf("%s after the re-key: %v", what, err)
			return
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s after the re-key lacks %s: %s", what, w, got)
			}
		}
	}
	c, err := env.Cases().GetCase(cw, &casebridgev1.GetCaseRequest{Id: sc.CaseID, View: casebridgev1.CaseView_CASE_VIEW_FULL})
	check("GetCase FULL", err, c.String(), servertest.MarkGiven, servertest.MarkAccount)
	n, err := env.Cases().ListNotes(cw, &casebridgev1.ListNotesRequest{CaseId: sc.CaseID})
	check("ListNotes", err, n.String(), servertest.MarkNote)
	co, err := env.Cases().ListConsents(cw, &casebridgev1.ListConsentsRequest{CaseId: sc.CaseID})
	check("ListConsents", err, co.String(), servertest.MarkMethod)
	r, err := rs.GetReferral(cw, &casebridgev1.GetReferralRequest{Id: sc.Accepted})
	check("GetReferral", err, r.String(), servertest.MarkMessage)
	r, err = rs.GetReferral(cw, &casebridgev1.GetReferralRequest{Id: sc.Declined})
	check("GetReferral (declined)", err, r.String(), servertest.MarkDecline)
	p, err := ps.GetProceeding(lw, &casebridgev1.GetProceedingRequest{Id: sc.Proceeding})
	check("GetProceeding", err, p.String(), servertest.MarkCourt, servertest.MarkDocket, servertest.MarkCharge)
	h, err := ps.ListHearings(lw, &casebridgev1.ListHearingsRequest{ProceedingId: sc.Proceeding, View: casebridgev1.HearingView_HEARING_VIEW_FULL})
	check("ListHearings FULL", err, h.String(), servertest.MarkHearingNote, servertest.MarkOutcome)
	d, err := ps.ListDeadlines(lw, &casebridgev1.ListDeadlinesRequest{ProceedingId: sc.Proceeding})
	check("ListDeadlines", err, d.String(), servertest.MarkDeadline)
	cl, err := cs.GetClaim(lw, &casebridgev1.GetClaimRequest{Id: sc.Claim})
	check("GetClaim", err, cl.String(), servertest.MarkRespondent)
	pay, err := cs.ListPayments(lw, &casebridgev1.ListPaymentsRequest{ClaimId: sc.Claim})
	check("ListPayments", err, pay.String(), servertest.MarkPayer)
	plan, err := work.GetSupportPlan(cw, &casebridgev1.GetSupportPlanRequest{CaseId: sc.CaseID})
	check("GetSupportPlan", err, plan.String(), servertest.MarkPlan, servertest.MarkObjective, servertest.MarkAction)
	svc, err := work.ListServices(cw, &casebridgev1.ListServicesRequest{CaseId: sc.CaseID})
	check("ListServices", err, svc.String(), servertest.MarkService)
	apr, err := work.ListApprovals(cw, &casebridgev1.ListApprovalsRequest{CaseId: sc.CaseID})
	check("ListApprovals", err, apr.String(), servertest.MarkApproval)
}

// caseKey unwraps the case's current key with the server's own keyring
// directory, as the server does.
func caseKey(t *testing.T, env *servertest.Env, caseID string) *vault.CaseKey {
	t.Helper()
	kr, err := vault.LoadKeyring(filepath.Join(env.DataDir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	km := keys.NewManager(env.Pool, kr, nil, nil)
	t.Cleanup(km.Close)
	key, err := km.CaseKey(context.Background(), env.Pool, caseID)
	if err != nil {
		t.Fatalf("key of case %s: %v", caseID, err)
	}
	t.Cleanup(key.Wipe)
	return key
}
