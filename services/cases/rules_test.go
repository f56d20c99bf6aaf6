package cases_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	servertest.WantField(t, err, field)
}

// TestBadInput sends every kind of bad input to every CaseService RPC:
// each is InvalidArgument naming the offending field.
func TestBadInput(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	ctx := env.As(t, caseworker)
	sv := env.As(t, supervisor)
	created, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: newCase()})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetCase().GetId()
	etag := created.GetCase().GetEtag()
	long := strings.Repeat("x", 300)
	future := int32(time.Now().Year() + 1)

	tests := []struct {
		name  string
		field string
		call  func() error
	}{
		{"create without case", "case", func() error {
			_, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{})
			return err
		}},
		{"create bad nationality shape", "case.coded.nationality", func() error {
			_, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{Coded: &casebridgev1.CodedAttributes{Nationality: "ukr"}}})
			return err
		}},
		{"create unknown country code", "case.coded.country", func() error {
			_, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{Coded: &casebridgev1.CodedAttributes{Country: "XX"}}})
			return err
		}},
		{"create future year", "case.coded.identification_year", func() error {
			_, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{Coded: &casebridgev1.CodedAttributes{IdentificationYear: future}}})
			return err
		}},
		{"create wrong enum", "case.coded.sex", func() error {
			_, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{Coded: &casebridgev1.CodedAttributes{Sex: 42}}})
			return err
		}},
		{"create duplicate forms", "case.coded.exploitation_forms", func() error {
			f := casebridgev1.ExploitationForm_EXPLOITATION_FORM_SEXUAL
			_, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{Coded: &casebridgev1.CodedAttributes{ExploitationForms: []casebridgev1.ExploitationForm{f, f}}}})
			return err
		}},
		{"create too long name", "case.identity.given_names", func() error {
			_, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{Identity: &casebridgev1.IdentityData{GivenNames: long}}})
			return err
		}},
		{"create bad date of birth", "case.identity.date_of_birth", func() error {
			_, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{Identity: &casebridgev1.IdentityData{DateOfBirth: "31/12/1999"}}})
			return err
		}},
		{"create bad request id", "request_id", func() error {
			_, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{}, RequestId: "retry-1"})
			return err
		}},
		{"get empty id", "id", func() error {
			_, err := cs.GetCase(ctx, &casebridgev1.GetCaseRequest{})
			return err
		}},
		{"get wrong view", "view", func() error {
			_, err := cs.GetCase(ctx, &casebridgev1.GetCaseRequest{Id: id, View: 9})
			return err
		}},
		{"list page size too big", "page_size", func() error {
			_, err := cs.ListCases(ctx, &casebridgev1.ListCasesRequest{PageSize: 10_000})
			return err
		}},
		{"list forged page token", "page_token", func() error {
			_, err := cs.ListCases(ctx, &casebridgev1.ListCasesRequest{PageToken: "bm90LWEtdG9rZW4"})
			return err
		}},
		{"update without mask", "update_mask", func() error {
			_, err := cs.UpdateCase(ctx, &casebridgev1.UpdateCaseRequest{Case: &casebridgev1.Case{Id: id}, Etag: etag})
			return err
		}},
		{"update unknown field in mask", "update_mask", func() error {
			_, err := cs.UpdateCase(ctx, &casebridgev1.UpdateCaseRequest{Case: &casebridgev1.Case{Id: id}, Etag: etag,
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"identity.shoe_size"}}})
			return err
		}},
		{"update read-only field in mask", "update_mask", func() error {
			_, err := cs.UpdateCase(ctx, &casebridgev1.UpdateCaseRequest{Case: &casebridgev1.Case{Id: id}, Etag: etag,
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}})
			return err
		}},
		{"update without etag", "etag", func() error {
			_, err := cs.UpdateCase(ctx, &casebridgev1.UpdateCaseRequest{Case: &casebridgev1.Case{Id: id},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"coded"}}})
			return err
		}},
		{"update bad case id", "case.id", func() error {
			_, err := cs.UpdateCase(ctx, &casebridgev1.UpdateCaseRequest{Case: &casebridgev1.Case{Id: "42"}, Etag: etag,
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"coded"}}})
			return err
		}},
		{"suspend bad id", "id", func() error {
			_, err := cs.SuspendCase(ctx, &casebridgev1.SuspendCaseRequest{Id: "nope"})
			return err
		}},
		{"close reason too long", "reason", func() error {
			_, err := cs.CloseCase(sv, &casebridgev1.CloseCaseRequest{Id: id, Reason: strings.Repeat("r", 501)})
			return err
		}},
		{"assign empty caseworker", "caseworker", func() error {
			_, err := cs.AssignCase(sv, &casebridgev1.AssignCaseRequest{Id: id})
			return err
		}},
		{"assign a non-caseworker", "caseworker", func() error {
			_, err := cs.AssignCase(sv, &casebridgev1.AssignCaseRequest{Id: id, Caseworker: lawyer})
			return err
		}},
		{"erase without reason", "reason", func() error {
			_, err := cs.EraseCase(sv, &casebridgev1.EraseCaseRequest{Id: id})
			return err
		}},
		{"note without class", "data_class", func() error {
			_, err := cs.AddNote(ctx, &casebridgev1.AddNoteRequest{CaseId: id, Text: "x"})
			return err
		}},
		{"note empty text", "text", func() error {
			_, err := cs.AddNote(ctx, &casebridgev1.AddNoteRequest{CaseId: id, DataClass: casebridgev1.DataClass_DATA_CLASS_CARE})
			return err
		}},
		{"list notes bad case id", "case_id", func() error {
			_, err := cs.ListNotes(ctx, &casebridgev1.ListNotesRequest{CaseId: "x"})
			return err
		}},
		{"consent without purpose", "purpose", func() error {
			_, err := cs.RecordConsent(ctx, &casebridgev1.RecordConsentRequest{CaseId: id, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED})
			return err
		}},
		{"consent for sharing without recipient", "recipient", func() error {
			_, err := cs.RecordConsent(ctx, &casebridgev1.RecordConsentRequest{CaseId: id,
				Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_ASSISTANCE, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED})
			return err
		}},
		{"consent to unknown organisation", "organization_id", func() error {
			_, err := cs.RecordConsent(ctx, &casebridgev1.RecordConsentRequest{CaseId: id,
				Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_ASSISTANCE, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
				Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: "nobody"}})
			return err
		}},
		{"consent given in the future", "given_time", func() error {
			_, err := cs.RecordConsent(ctx, &casebridgev1.RecordConsentRequest{CaseId: id,
				Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_STATISTICS, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
				GivenTime: timestamppb.New(time.Now().Add(time.Hour))})
			return err
		}},
		{"withdraw bad consent id", "consent_id", func() error {
			_, err := cs.WithdrawConsent(ctx, &casebridgev1.WithdrawConsentRequest{CaseId: id, ConsentId: "c"})
			return err
		}},
		{"list consents page size negative", "page_size", func() error {
			_, err := cs.ListConsents(ctx, &casebridgev1.ListConsentsRequest{CaseId: id, PageSize: -1})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantField(t, tc.call(), tc.field) })
	}
	// Nothing above changed the case.
	got, err := cs.GetCase(ctx, &casebridgev1.GetCaseRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetCase().GetEtag() != etag {
		t.Fatalf("a rejected request changed the case: etag %s → %s", etag, got.GetCase().GetEtag())
	}
}

// TestConcurrentUpdatesSameEtag: 20 updates race with one etag; exactly one
// wins, the rest are Aborted, and the winner's change is what is stored.
func TestConcurrentUpdatesSameEtag(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	ctx := env.As(t, caseworker)
	created, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: newCase()})
	if err != nil {
		t.Fatal(err)
	}
	id, etag := created.GetCase().GetId(), created.GetCase().GetEtag()
	var wg sync.WaitGroup
	results := make([]error, 20)
	phones := make([]string, 20)
	for i := range results {
		phones[i] = "+381-60-" + strings.Repeat(string(rune('0'+i%10)), 7)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, results[i] = cs.UpdateCase(ctx, &casebridgev1.UpdateCaseRequest{
				Case:       &casebridgev1.Case{Id: id, Contact: &casebridgev1.ContactData{Phone: phones[i]}},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"contact.phone"}},
				Etag:       etag,
			})
		}(i)
	}
	wg.Wait()
	winner := -1
	for i, err := range results {
		switch status.Code(err) {
		case codes.OK:
			if winner >= 0 {
				t.Fatalf("two updates with the same etag won: %d and %d", winner, i)
			}
			winner = i
		case codes.Aborted:
		default:
			t.Fatalf("update %d: want OK or Aborted, got %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no update won")
	}
	got, err := cs.GetCase(ctx, &casebridgev1.GetCaseRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetCase().GetContact().GetPhone() != phones[winner] {
		t.Fatalf("stored phone %q is not the winner's %q", got.GetCase().GetContact().GetPhone(), phones[winner])
	}
	if got.GetCase().GetContact().GetCurrentLocation() != "Marker-Location-7731" {
		t.Fatal("the update lost a field it did not touch")
	}
}

// TestRetriedCreateIsOneCase: the same request id from two goroutines at
// once, and again later, yields one case.
func TestRetriedCreateIsOneCase(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	ctx := env.As(t, caseworker)
	reqID := uuid.NewString()
	var wg sync.WaitGroup
	ids := make([]string, 4)
	errs := make([]error, 4)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: newCase(), RequestId: reqID})
			ids[i], errs[i] = resp.GetCase().GetId(), err
		}(i)
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil {
			t.Fatalf("create %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("retried create made two cases: %s and %s", ids[0], ids[i])
		}
	}
	again, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: newCase(), RequestId: reqID})
	if err != nil || again.GetCase().GetId() != ids[0] {
		t.Fatalf("a later retry: %v, id %s want %s", err, again.GetCase().GetId(), ids[0])
	}
	var n int
	if err := env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM cases`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d cases stored, want 1", n)
	}
}

// TestPaginationWhileInserting walks ListCases page by page while another
// caller keeps creating cases: every case that existed at the start is
// returned exactly once.
func TestPaginationWhileInserting(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	ctx := env.As(t, caseworker)
	before := map[string]bool{}
	for range 45 {
		resp, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{}})
		if err != nil {
			t.Fatal(err)
		}
		before[resp.GetCase().GetId()] = true
	}
	stop := make(chan struct{})
	inserted := make(chan int)
	go func() {
		n := 0
		defer func() { inserted <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{}}); err == nil {
				n++
			}
		}
	}()
	seen := map[string]int{}
	token := ""
	for pages := 0; ; pages++ {
		resp, err := cs.ListCases(ctx, &casebridgev1.ListCasesRequest{PageSize: 7, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range resp.GetCases() {
			seen[c.GetId()]++
		}
		time.Sleep(5 * time.Millisecond) // let inserts land between pages
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
		if pages > 100 {
			t.Fatal("pagination does not end")
		}
	}
	close(stop)
	if n := <-inserted; n == 0 {
		t.Fatal("no case was inserted during pagination: the test proves nothing")
	}
	for id := range before {
		if seen[id] != 1 {
			t.Fatalf("case %s returned %d times", id, seen[id])
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("case %s returned %d times", id, n)
		}
	}
}
