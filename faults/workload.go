package faults

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Options shape a workload.
type Options struct {
	// Writers is the number of concurrent writers; zero means 6.
	Writers int
	// AttemptTimeout is each call's deadline; zero means 5 s.
	AttemptTimeout time.Duration
	// RetryFor is how long a writer retries a call whose outcome it does not
	// know (Unavailable, DeadlineExceeded) before it gives up; zero means 90 s.
	RetryFor time.Duration
	// Pause is how long a writer waits between operations; zero means 20 ms.
	Pause time.Duration
}

// deadlineSlack is how far past its deadline an attempt may return: the
// client's own timer and a loaded machine's scheduling, not the server.
const deadlineSlack = 2 * time.Second

// Workload is the concurrent writers: each opens cases, updates them, adds
// notes, records consent and refers cases to legal-b (whose lawyer
// accepts), and on a legal case of its own adds hearings and records
// payments. Every acknowledged write goes into the Ledger.
type Workload struct {
	srv    *Server
	opts   Options
	Ledger *Ledger

	cases     casebridgev1.CaseServiceClient
	referrals casebridgev1.ReferralServiceClient
	procs     casebridgev1.ProceedingServiceClient
	comp      casebridgev1.CompensationServiceClient

	writers []*writer
	stop    chan struct{}
	wg      sync.WaitGroup
	ops     atomic.Int64
	failed  atomic.Int64
	running atomic.Bool
}

type writer struct {
	id       int
	rng      *rand.Rand
	cases    []*CaseRec
	seq      int
	procID   string
	claimID  string
	legalCas string
}

// NewWorkload prepares writers against srv, each with a legal case (referred
// to and accepted by legal-b, with a proceeding and an awarded claim) for
// its hearings and payments. It fails t if that preparation fails: it runs
// before any fault.
func NewWorkload(t testing.TB, srv *Server, opts Options) *Workload {
	t.Helper()
	if opts.Writers == 0 {
		opts.Writers = 6
	}
	if opts.AttemptTimeout == 0 {
		opts.AttemptTimeout = 5 * time.Second
	}
	if opts.RetryFor == 0 {
		opts.RetryFor = 90 * time.Second
	}
	if opts.Pause == 0 {
		opts.Pause = 20 * time.Millisecond
	}
	w := &Workload{
		srv: srv, opts: opts, Ledger: newLedger(), stop: make(chan struct{}),
		cases:     casebridgev1.NewCaseServiceClient(srv.Conn),
		referrals: casebridgev1.NewReferralServiceClient(srv.Conn),
		procs:     casebridgev1.NewProceedingServiceClient(srv.Conn),
		comp:      casebridgev1.NewCompensationServiceClient(srv.Conn),
	}
	var wg sync.WaitGroup
	errs := make([]error, opts.Writers)
	for i := range opts.Writers {
		wr := &writer{id: i, rng: rand.New(rand.NewPCG(uint64(i)+1, uint64(time.Now().UnixNano())))}
		w.writers = append(w.writers, wr)
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = w.prepare(wr) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("prepare the workload: %v", err)
	}
	return w
}

// Start runs the writers until Stop.
func (w *Workload) Start() {
	w.running.Store(true)
	for _, wr := range w.writers {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for {
				select {
				case <-w.stop:
					return
				case <-time.After(w.opts.Pause):
				}
				w.ops.Add(1)
				if err := w.step(wr); err != nil {
					w.failed.Add(1)
				}
			}
		}()
	}
}

// Stop asks the writers to stop and waits until each finished its call
// (retries included).
func (w *Workload) Stop() {
	if w.running.CompareAndSwap(true, false) {
		close(w.stop)
	}
	w.wg.Wait()
}

// Ops is the number of operations started so far.
func (w *Workload) Ops() int64 { return w.ops.Load() }

// Unacked is the number of operations that never got an acknowledgement.
func (w *Workload) Unacked() int64 { return w.failed.Load() }

// step runs one operation of the mix.
func (w *Workload) step(wr *writer) error {
	n := wr.rng.IntN(100)
	switch {
	case n < 22 || len(wr.cases) == 0:
		_, err := w.createCase(wr)
		return err
	case n < 40:
		return w.updateCase(wr, wr.cases[wr.rng.IntN(len(wr.cases))])
	case n < 60:
		return w.addNote(wr, wr.cases[wr.rng.IntN(len(wr.cases))])
	case n < 70:
		for _, c := range wr.cases {
			if !c.referred {
				c.referred = true
				_, err := w.refer(wr, c, casebridgev1.ServiceKind_SERVICE_KIND_LEGAL)
				return err
			}
		}
		_, err := w.createCase(wr)
		return err
	case n < 85:
		return w.addHearing(wr)
	default:
		return w.recordPayment(wr)
	}
}

// call runs f with a deadline per attempt, retrying while the outcome is
// unknown (Unavailable, DeadlineExceeded, ResourceExhausted) with the same
// request, so a retried create is recorded once. Every attempt's code and
// duration go into the ledger.
func (w *Workload) call(method string, f func(ctx context.Context) error) error {
	start := time.Now()
	backoff := 50 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(context.Background(), w.opts.AttemptTimeout)
		t0 := time.Now()
		err := f(ctx)
		took := time.Since(t0)
		cancel()
		st, _ := status.FromError(err)
		w.Ledger.attempt(method, st.Code(), st.Message(), took, w.opts.AttemptTimeout+deadlineSlack)
		if err == nil {
			return nil
		}
		switch st.Code() {
		case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Internal, codes.Unknown:
		default:
			return err
		}
		if time.Since(start) > w.opts.RetryFor {
			return err
		}
		time.Sleep(backoff)
		backoff = min(backoff*2, time.Second)
	}
}

func (w *Workload) as(ctx context.Context, sub string) context.Context { return w.srv.As(ctx, sub) }

func (wr *writer) marker(kind string) string {
	wr.seq++
	return fmt.Sprintf("Fault-%s-w%d-%d-%s", kind, wr.id, wr.seq, uuid.NewString()[:8])
}

func (wr *writer) phone() string {
	return fmt.Sprintf("+381 6%d %07d", wr.rng.IntN(10), wr.rng.IntN(10_000_000))
}

func (w *Workload) createCase(wr *writer) (*CaseRec, error) {
	rid := uuid.NewString()
	given, phone := wr.marker("Given"), wr.phone()
	req := &casebridgev1.CreateCaseRequest{RequestId: rid, Case: &casebridgev1.Case{
		Coded:    &casebridgev1.CodedAttributes{Nationality: "UA", Country: "RS", Sex: casebridgev1.Sex(1 + wr.rng.IntN(2))},
		Identity: &casebridgev1.IdentityData{GivenNames: given, FamilyNames: "Faultline"},
		Contact:  &casebridgev1.ContactData{Phone: phone},
		Legal:    &casebridgev1.LegalData{ExploitationAccount: wr.marker("Account")},
	}}
	var resp *casebridgev1.CreateCaseResponse
	err := w.call("CreateCase", func(ctx context.Context) (err error) {
		resp, err = w.cases.CreateCase(w.as(ctx, Caseworker), req)
		return err
	})
	if err != nil {
		return nil, err
	}
	c := &CaseRec{ID: resp.GetCase().GetId(), RequestID: rid, GivenNames: given, Phone: phone, etag: resp.GetCase().GetEtag()}
	wr.cases = append(wr.cases, c)
	w.Ledger.add(func(l *Ledger) { l.Cases = append(l.Cases, c) })
	return c, nil
}

// updateCase changes a case's phone number (re-sealing its contact class).
// An update whose outcome is unknown leaves the case's etag unknown: the
// next update reads it first.
func (w *Workload) updateCase(wr *writer, c *CaseRec) error {
	if c.etag == "" {
		var got *casebridgev1.GetCaseResponse
		if err := w.call("GetCase", func(ctx context.Context) (err error) {
			got, err = w.cases.GetCase(w.as(ctx, Caseworker), &casebridgev1.GetCaseRequest{Id: c.ID, View: casebridgev1.CaseView_CASE_VIEW_BASIC})
			return err
		}); err != nil {
			return err
		}
		c.etag = got.GetCase().GetEtag()
	}
	phone := wr.phone()
	req := &casebridgev1.UpdateCaseRequest{
		Case:       &casebridgev1.Case{Id: c.ID, Contact: &casebridgev1.ContactData{Phone: phone}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"contact.phone"}},
		Etag:       c.etag,
	}
	var resp *casebridgev1.UpdateCaseResponse
	err := w.call("UpdateCase", func(ctx context.Context) (err error) {
		resp, err = w.cases.UpdateCase(w.as(ctx, Caseworker), req)
		return err
	})
	if err != nil {
		// A retry after an update that did commit is Aborted (its etag is
		// stale): either way the outcome is not known here.
		c.Maybe = append(c.Maybe, phone)
		c.etag = ""
		return err
	}
	c.Phone, c.Maybe, c.etag = phone, nil, resp.GetCase().GetEtag()
	return nil
}

func (w *Workload) addNote(wr *writer, c *CaseRec) error {
	rid, text := uuid.NewString(), wr.marker("Note")
	var resp *casebridgev1.AddNoteResponse
	err := w.call("AddNote", func(ctx context.Context) (err error) {
		resp, err = w.cases.AddNote(w.as(ctx, Caseworker), &casebridgev1.AddNoteRequest{
			CaseId: c.ID, DataClass: casebridgev1.DataClass_DATA_CLASS_CARE, Text: text, RequestId: rid,
		})
		return err
	})
	if err != nil {
		return err
	}
	w.Ledger.add(func(l *Ledger) {
		l.Notes = append(l.Notes, NoteRec{CaseID: c.ID, ID: resp.GetNote().GetId(), RequestID: rid, Text: text})
	})
	return nil
}

// refer records the person's consent, refers the case to legal-b and has
// its lawyer accept. An acceptance whose answer was lost but that did
// commit is FailedPrecondition on retry: then the referral is read.
func (w *Workload) refer(wr *writer, c *CaseRec, service casebridgev1.ServiceKind) (string, error) {
	purpose := casebridgev1.ConsentPurpose_CONSENT_PURPOSE_ASSISTANCE
	classes := []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_IDENTITY}
	if service == casebridgev1.ServiceKind_SERVICE_KIND_LEGAL {
		purpose = casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION
		classes = append(classes, casebridgev1.DataClass_DATA_CLASS_LEGAL)
	}
	consentReq := &casebridgev1.RecordConsentRequest{
		CaseId: c.ID, Purpose: purpose, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: legalOrg}, RequestId: uuid.NewString(),
	}
	var consent *casebridgev1.RecordConsentResponse
	if err := w.call("RecordConsent", func(ctx context.Context) (err error) {
		consent, err = w.cases.RecordConsent(w.as(ctx, Caseworker), consentReq)
		return err
	}); err != nil {
		return "", err
	}
	w.Ledger.add(func(l *Ledger) {
		l.Consents = append(l.Consents, ConsentRec{CaseID: c.ID, ID: consent.GetConsent().GetId()})
	})
	refReq := &casebridgev1.CreateReferralRequest{CaseId: c.ID, ToOrganizationId: legalOrg, Service: service, GrantedClasses: classes, RequestId: uuid.NewString()}
	var ref *casebridgev1.CreateReferralResponse
	if err := w.call("CreateReferral", func(ctx context.Context) (err error) {
		ref, err = w.referrals.CreateReferral(w.as(ctx, Caseworker), refReq)
		return err
	}); err != nil {
		return "", err
	}
	id := ref.GetReferral().GetId()
	err := w.call("AcceptReferral", func(ctx context.Context) error {
		_, err := w.referrals.AcceptReferral(w.as(ctx, Lawyer), &casebridgev1.AcceptReferralRequest{Id: id})
		return err
	})
	if err != nil {
		return "", err
	}
	w.Ledger.add(func(l *Ledger) {
		l.Referrals = append(l.Referrals, RefRec{CaseID: c.ID, ID: id, GivenNames: c.GivenNames})
	})
	return id, nil
}

// prepare gives the writer its legal case: referred for legal
// representation, with a criminal proceeding and a filed, awarded claim.
func (w *Workload) prepare(wr *writer) error {
	c, err := w.createCase(wr)
	if err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	c.referred = true
	if _, err := w.refer(wr, c, casebridgev1.ServiceKind_SERVICE_KIND_LEGAL); err != nil {
		return fmt.Errorf("refer: %w", err)
	}
	wr.legalCas = c.ID
	procReq := &casebridgev1.CreateProceedingRequest{CaseId: c.ID, RequestId: uuid.NewString(), Proceeding: &casebridgev1.Proceeding{
		Kind: casebridgev1.ProceedingKind_PROCEEDING_KIND_CRIMINAL, Court: "Higher Court in Belgrade",
		DocketNumber: fmt.Sprintf("K %d/2026", 100+wr.id), JurisdictionCountry: "RS", CourtTimeZone: "Europe/Belgrade",
		VictimRole: casebridgev1.VictimRole_VICTIM_ROLE_INJURED_PARTY, Charges: []string{"CC RS Art. 388(1)"}, DefendantCount: 1,
	}}
	var proc *casebridgev1.CreateProceedingResponse
	if err := w.call("CreateProceeding", func(ctx context.Context) (err error) {
		proc, err = w.procs.CreateProceeding(w.as(ctx, Lawyer), procReq)
		return err
	}); err != nil {
		return fmt.Errorf("create proceeding: %w", err)
	}
	wr.procID = proc.GetProceeding().GetId()
	claimReq := &casebridgev1.CreateClaimRequest{CaseId: c.ID, RequestId: uuid.NewString(), Claim: &casebridgev1.Claim{
		Type: casebridgev1.ClaimType_CLAIM_TYPE_STATE_FUND, AmountClaimed: rsd(1_000_000_000_00),
	}}
	var claim *casebridgev1.CreateClaimResponse
	if err := w.call("CreateClaim", func(ctx context.Context) (err error) {
		claim, err = w.comp.CreateClaim(w.as(ctx, Lawyer), claimReq)
		return err
	}); err != nil {
		return fmt.Errorf("create claim: %w", err)
	}
	wr.claimID = claim.GetClaim().GetId()
	if err := w.call("FileClaim", func(ctx context.Context) error {
		_, err := w.comp.FileClaim(w.as(ctx, Lawyer), &casebridgev1.FileClaimRequest{Id: wr.claimID, FiledDate: "2026-01-15"})
		return err
	}); err != nil {
		return fmt.Errorf("file claim: %w", err)
	}
	if err := w.call("RecordAward", func(ctx context.Context) error {
		_, err := w.comp.RecordAward(w.as(ctx, Lawyer), &casebridgev1.RecordAwardRequest{Id: wr.claimID, Amount: rsd(1_000_000_000_00), DecisionDate: "2026-03-01"})
		return err
	}); err != nil {
		return fmt.Errorf("record award: %w", err)
	}
	w.Ledger.add(func(l *Ledger) {
		l.Proceedings[wr.procID] = c.ID
		l.Claims[wr.claimID] = c.ID
	})
	return nil
}

func (w *Workload) addHearing(wr *writer) error {
	req := &casebridgev1.AddHearingRequest{ProceedingId: wr.procID, RequestId: uuid.NewString(), Hearing: &casebridgev1.Hearing{
		StartTime: timestamppb.New(time.Now().Add(time.Duration(24+wr.rng.IntN(24*60)) * time.Hour)),
		Type:      casebridgev1.HearingType_HEARING_TYPE_MAIN,
		Notes:     wr.marker("Hearing"),
	}}
	var resp *casebridgev1.AddHearingResponse
	err := w.call("AddHearing", func(ctx context.Context) (err error) {
		resp, err = w.procs.AddHearing(w.as(ctx, Lawyer), req)
		return err
	})
	if err != nil {
		return err
	}
	w.Ledger.add(func(l *Ledger) {
		l.Hearings = append(l.Hearings, HearingRec{ProceedingID: wr.procID, CaseID: wr.legalCas, ID: resp.GetHearing().GetId()})
	})
	return nil
}

func (w *Workload) recordPayment(wr *writer) error {
	minor := int64(1 + wr.rng.IntN(100_000))
	req := &casebridgev1.RecordPaymentRequest{ClaimId: wr.claimID, Amount: rsd(minor), PaidDate: "2026-06-01", RequestId: uuid.NewString()}
	var resp *casebridgev1.RecordPaymentResponse
	err := w.call("RecordPayment", func(ctx context.Context) (err error) {
		resp, err = w.comp.RecordPayment(w.as(ctx, Lawyer), req)
		return err
	})
	if err != nil {
		return err
	}
	w.Ledger.add(func(l *Ledger) {
		l.Payments = append(l.Payments, PaymentRec{ClaimID: wr.claimID, CaseID: wr.legalCas, ID: resp.GetPayment().GetId(), Minor: minor})
	})
	return nil
}

func rsd(minor int64) *casebridgev1.Money {
	return &casebridgev1.Money{CurrencyCode: "RSD", AmountMinor: minor}
}
