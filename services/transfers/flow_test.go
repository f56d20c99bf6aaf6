package transfers_test

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestTransferSerbiaToNorthMacedonia: a shelter in Serbia hands a person's
// case to a CSO in North Macedonia on her return, with her consent to the
// transfer and to the shelter following its status. Until the CSO accepts,
// the case is not found for it; once it does, it owns the case, numbered in
// its own series, and reads every class and note; the shelter sees the
// status only (no class, no note), and nothing once the person withdraws
// the follow-up consent; a third organisation never finds it; the key the
// shelter held no longer opens what is stored; and the audit trail shows
// who proposed and who accepted, from and to whom.
func TestTransferSerbiaToNorthMacedonia(t *testing.T) {
	env := servertest.Start(t)
	ts, cs := transfersOf(env), env.Cases()
	rs, mk, sv := env.As(t, caseworkerRS), env.As(t, caseworkerMK), env.As(t, supervisorRS)
	id := newCase(t, env)
	transferConsent := consent(t, env, id, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_TRANSFER, "cso-c")
	follow := consent(t, env, id, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_FOLLOW_UP, "shelter-a")

	// What the shelter's key opens today: the case key as shelter-a holds it.
	keyring, err := vault.LoadKeyring(filepath.Join(env.DataDir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	oldKey := caseKeyOf(t, env, keyring, id, "shelter-a")
	defer oldKey.Wipe()
	oldCT := identityCiphertext(t, env, id)
	if _, err := vault.CaseSecrets.Open(oldKey, id, identityRow(), dataclass.Identity, oldCT); err != nil {
		t.Fatalf("before the transfer the shelter's key must open the identity: %v", err)
	}

	rid := uuid.NewString()
	p, err := ts.ProposeTransfer(sv, &casebridgev1.ProposeTransferRequest{CaseId: id, ToOrganizationId: "cso-c", RequestId: rid})
	if err != nil {
		t.Fatal(err)
	}
	tr := p.GetTransfer()
	if tr.GetStatus() != casebridgev1.TransferStatus_TRANSFER_STATUS_PROPOSED || tr.GetConsentId() != transferConsent ||
		tr.GetFromOrganizationId() != "shelter-a" || tr.GetToOrganizationId() != "cso-c" || !tr.GetSenderFollows() ||
		!strings.HasPrefix(tr.GetFromReference(), "SHA-") {
		t.Fatalf("proposed transfer: %v", tr)
	}
	again, err := ts.ProposeTransfer(sv, &casebridgev1.ProposeTransferRequest{CaseId: id, ToOrganizationId: "cso-c", RequestId: rid})
	if err != nil || again.GetTransfer().GetId() != tr.GetId() {
		t.Fatalf("a retried proposal must return the same transfer: %v %v", again.GetTransfer().GetId(), err)
	}

	// The receiver decides on the coded attributes; the case itself is not
	// its to read yet.
	seen, err := ts.GetTransfer(mk, &casebridgev1.GetTransferRequest{Id: tr.GetId()})
	if err != nil || seen.GetTransfer().GetCoded().GetNationality() != "MK" {
		t.Fatalf("receiver's view of the proposal: %v %v", seen, err)
	}
	_, err = cs.GetCase(mk, &casebridgev1.GetCaseRequest{Id: id})
	servertest.WantCode(t, err, codes.NotFound)

	acc, err := ts.AcceptTransfer(mk, &casebridgev1.AcceptTransferRequest{Id: tr.GetId(), Etag: seen.GetTransfer().GetEtag()})
	if err != nil {
		t.Fatal(err)
	}
	done := acc.GetTransfer()
	if done.GetStatus() != casebridgev1.TransferStatus_TRANSFER_STATUS_ACCEPTED || done.GetToReference() == "" || strings.HasPrefix(done.GetToReference(), "SHA-") ||
		done.GetAnsweredBy() != caseworkerMK || done.GetAcceptTime() == nil {
		t.Fatalf("accepted transfer: %v", done)
	}

	// The receiver owns the case and reads everything.
	got, err := cs.GetCase(mk, &casebridgev1.GetCaseRequest{Id: id, View: casebridgev1.CaseView_CASE_VIEW_FULL})
	if err != nil {
		t.Fatal(err)
	}
	c := got.GetCase()
	if c.GetOrganizationId() != "cso-c" || c.GetReference() != done.GetToReference() ||
		c.GetIdentity().GetGivenNames() != "Marker-Given-4410" || c.GetContact().GetPhone() != "+381 11 4410" || len(c.GetRedactedClasses()) != 0 {
		t.Fatalf("the receiver's case: %v", c)
	}
	notes, err := cs.ListNotes(mk, &casebridgev1.ListNotesRequest{CaseId: id})
	if err != nil || len(notes.GetNotes()) != 1 || notes.GetNotes()[0].GetText() != "Marker-Note-4410" {
		t.Fatalf("the receiver's notes: %v %v", notes, err)
	}

	// The former owner follows the status only.
	old, err := cs.GetCase(rs, &casebridgev1.GetCaseRequest{Id: id, View: casebridgev1.CaseView_CASE_VIEW_FULL})
	if err != nil {
		t.Fatalf("the shelter follows the case under the person's consent: %v", err)
	}
	if o := old.GetCase(); o.GetStatus() != c.GetStatus() || o.GetIdentity() != nil || o.GetContact() != nil || o.GetCare() != nil || o.GetLegal() != nil {
		t.Fatalf("the shelter must see the status and no class: %v", o)
	}
	_, err = cs.ListNotes(rs, &casebridgev1.ListNotesRequest{CaseId: id})
	servertest.WantCode(t, err, codes.PermissionDenied)
	_, err = cs.UpdateCase(sv, &casebridgev1.UpdateCaseRequest{Case: &casebridgev1.Case{Id: id, Identity: &casebridgev1.IdentityData{GivenNames: "x"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"identity"}}, Etag: c.GetEtag()}) // a follower is given no etag
	servertest.WantCode(t, err, codes.PermissionDenied)
	list, err := cs.ListCases(rs, &casebridgev1.ListCasesRequest{})
	if err != nil || !slices.ContainsFunc(list.GetCases(), func(c *casebridgev1.Case) bool { return c.GetId() == id }) {
		t.Fatalf("the followed case must be in the shelter's list: %v", err)
	}
	_, err = cs.GetCase(env.As(t, lawyerThird), &casebridgev1.GetCaseRequest{Id: id})
	servertest.WantCode(t, err, codes.NotFound)

	// The shelter's key opens nothing of the case any more; the receiver's does.
	newCT := identityCiphertext(t, env, id)
	if _, err := vault.CaseSecrets.Open(oldKey, id, identityRow(), dataclass.Identity, newCT); err == nil {
		t.Fatal("the former owner's case key still opens the re-keyed identity")
	}
	var heldByOld int
	if err := env.Pool.QueryRow(bg(), `SELECT count(*) FROM case_keys ck JOIN organization_keys ok ON ok.key_id = ck.key_id
		WHERE ck.case_id = $1 AND ok.organization_id = 'shelter-a'`, id).Scan(&heldByOld); err != nil || heldByOld != 0 {
		t.Fatalf("the case key is still wrapped to shelter-a (%d, %v)", heldByOld, err)
	}
	newKey := caseKeyOf(t, env, keyring, id, "cso-c")
	defer newKey.Wipe()
	if pt, err := vault.CaseSecrets.Open(newKey, id, identityRow(), dataclass.Identity, newCT); err != nil || !strings.Contains(string(pt), "Marker-Given-4410") {
		t.Fatalf("the receiver's key must open the identity: %v", err)
	}

	// The person withdraws the follow-up consent: the shelter keeps nothing.
	if _, err := cs.WithdrawConsent(mk, &casebridgev1.WithdrawConsentRequest{CaseId: id, ConsentId: follow}); err != nil {
		t.Fatal(err)
	}
	_, err = cs.GetCase(rs, &casebridgev1.GetCaseRequest{Id: id})
	servertest.WantCode(t, err, codes.NotFound)
	if g, err := ts.GetTransfer(rs, &casebridgev1.GetTransferRequest{Id: tr.GetId()}); err != nil || g.GetTransfer().GetSenderFollows() {
		t.Fatalf("the transfer must say the sender no longer follows: %v %v", g, err)
	}

	// The chain of custody, as the auditor reads it.
	events, err := casebridgev1.NewAuditServiceClient(env.Conn).ListEvents(env.As(t, auditor), &casebridgev1.ListEventsRequest{CaseId: id, PageSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	var chain []string
	for _, e := range events.GetEvents() {
		if strings.Contains(e.GetMethod(), "TransferService/ProposeTransfer") || strings.Contains(e.GetMethod(), "TransferService/AcceptTransfer") {
			if e.GetResultCode() != "OK" {
				continue
			}
			if !slices.Contains(e.GetDetails(), "transfer="+tr.GetId()) || !slices.Contains(e.GetDetails(), "from=shelter-a") || !slices.Contains(e.GetDetails(), "to=cso-c") {
				t.Errorf("custody event without its transfer: %v", e)
			}
			chain = append(chain, e.GetMethod()[strings.LastIndex(e.GetMethod(), "/")+1:]+" by "+e.GetSubject()+" of "+e.GetOrganizationId())
		}
	}
	want := []string{"ProposeTransfer by " + supervisorRS + " of shelter-a", "ProposeTransfer by " + supervisorRS + " of shelter-a",
		"AcceptTransfer by " + caseworkerMK + " of cso-c"}
	slices.Sort(chain)
	slices.Sort(want)
	if !slices.Equal(chain, want) {
		t.Fatalf("chain of custody %q, want %q", chain, want)
	}
}

// TestTransferWithoutFollowUpLeavesNothing: without a follow-up consent the
// former owner keeps nothing — the case is not found, exactly as for a
// stranger.
func TestTransferWithoutFollowUpLeavesNothing(t *testing.T) {
	env := servertest.Start(t)
	tr := proposed(t, env)
	if tr.GetSenderFollows() {
		t.Fatal("no follow-up consent was recorded")
	}
	if _, err := transfersOf(env).AcceptTransfer(env.As(t, caseworkerMK), &casebridgev1.AcceptTransferRequest{Id: tr.GetId()}); err != nil {
		t.Fatal(err)
	}
	_, err := env.Cases().GetCase(env.As(t, caseworkerRS), &casebridgev1.GetCaseRequest{Id: tr.GetCaseId()})
	servertest.WantCode(t, err, codes.NotFound)
	// The sender still reads the transfer it made: the record of custody.
	if _, err := transfersOf(env).GetTransfer(env.As(t, caseworkerRS), &casebridgev1.GetTransferRequest{Id: tr.GetId()}); err != nil {
		t.Fatal(err)
	}
}

// caseKeyOf unwraps the case key as org's key wraps it now.
func caseKeyOf(t *testing.T, env *servertest.Env, k *vault.Keyring, caseID, org string) *vault.CaseKey {
	t.Helper()
	var wrapped []byte
	if err := env.Pool.QueryRow(bg(), `SELECT ck.wrapped FROM case_keys ck JOIN organization_keys ok ON ok.key_id = ck.key_id
		WHERE ck.case_id = $1 AND ok.organization_id = $2`, caseID, org).Scan(&wrapped); err != nil {
		t.Fatalf("case key of %s: %v", org, err)
	}
	key, err := k.UnwrapCaseKey(wrapped, caseID)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func identityCiphertext(t *testing.T, env *servertest.Env, caseID string) []byte {
	t.Helper()
	var ct []byte
	if err := env.Pool.QueryRow(bg(), `SELECT ciphertext FROM case_secrets WHERE case_id = $1 AND class = $2`, caseID, dataclass.Identity.Stored()).Scan(&ct); err != nil {
		t.Fatal(err)
	}
	return ct
}

func identityRow() string { return strconv.Itoa(int(dataclass.Identity.Stored())) }

// TestFollowerReachesNoCourtData: a former owner following the status of a
// transferred case does no legal work on it: a proceeding of the case named
// by its id is NotFound to it (as to a stranger), which it read as the owner
// before the transfer.
func TestFollowerReachesNoCourtData(t *testing.T) {
	env := servertest.Start(t)
	ps := casebridgev1.NewProceedingServiceClient(env.Conn)
	rs := env.As(t, caseworkerRS)
	id := newCase(t, env)
	ref := env.ReferTo(t, id, "legal-b", lawyerThird, casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, casebridgev1.DataClass_DATA_CLASS_LEGAL)
	pr := env.NewProceeding(t, id, servertest.CriminalProceeding())
	if _, err := casebridgev1.NewReferralServiceClient(env.Conn).CompleteReferral(env.As(t, lawyerThird),
		&casebridgev1.CompleteReferralRequest{Id: ref.GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.GetProceeding(rs, &casebridgev1.GetProceedingRequest{Id: pr.GetId()}); err != nil {
		t.Fatalf("the owner reads its case's proceeding: %v", err)
	}
	consent(t, env, id, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_TRANSFER, "cso-c")
	consent(t, env, id, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_FOLLOW_UP, "shelter-a")
	p, err := transfersOf(env).ProposeTransfer(env.As(t, supervisorRS), &casebridgev1.ProposeTransferRequest{CaseId: id, ToOrganizationId: "cso-c"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := transfersOf(env).AcceptTransfer(env.As(t, caseworkerMK), &casebridgev1.AcceptTransferRequest{Id: p.GetTransfer().GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Cases().GetCase(rs, &casebridgev1.GetCaseRequest{Id: id}); err != nil {
		t.Fatalf("the follower sees the case: %v", err)
	}
	_, err = ps.GetProceeding(rs, &casebridgev1.GetProceedingRequest{Id: pr.GetId()})
	servertest.WantCode(t, err, codes.NotFound)
	got, err := ps.GetProceeding(env.As(t, caseworkerMK), &casebridgev1.GetProceedingRequest{Id: pr.GetId()})
	if err != nil || got.GetProceeding().GetCourt() != servertest.CriminalProceeding().GetCourt() {
		t.Fatalf("the new owner reads the proceeding and its court: %v %v", got, err)
	}
}
