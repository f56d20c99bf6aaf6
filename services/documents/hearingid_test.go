package documents_test

import (
	"bytes"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestHearingIDOnlyToHearingReaders: a document filed with a hearing names
// that hearing only to a caller who may read it. The owner's caseworkers
// see the document (the owner reaches its court data) but not hearings —
// the policy keeps hearings for lawyers, and a hearing's id is shown to
// nobody else (as tasks about hearings show it) — so get, list and
// download give them the document without the hearing's id.
func TestHearingIDOnlyToHearingReaders(t *testing.T) {
	env := servertest.Start(t)
	sc := env.SealedCase(t)
	lw, cw := env.As(t, "lawyer@legal-b"), env.As(t, "caseworker@shelter-a")
	ps := casebridgev1.NewProceedingServiceClient(env.Conn)
	hs, err := ps.ListHearings(lw, &casebridgev1.ListHearingsRequest{ProceedingId: sc.Proceeding})
	if err != nil || len(hs.GetHearings()) == 0 {
		t.Fatalf("the lawyer lists the hearings: %v", err)
	}
	hearing := hs.GetHearings()[0].GetId()
	if _, err := ps.ListHearings(cw, &casebridgev1.ListHearingsRequest{ProceedingId: sc.Proceeding}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("the caseworker lists hearings: %v, want PermissionDenied (the rule this test stands on)", err)
	}
	md := meta(sc.CaseID, legal, "indictment")
	md.HearingId = hearing
	d, err := servertest.Upload(lw, env.Conn, md, bytes.NewReader(text(2000)))
	if err != nil || d.GetHearingId() != hearing {
		t.Fatalf("the lawyer files a document with the hearing: %v %v", d, err)
	}
	if got, err := docs(env).GetDocument(lw, &casebridgev1.GetDocumentRequest{Id: d.GetId()}); err != nil || got.GetDocument().GetHearingId() != hearing {
		t.Fatalf("the lawyer's get: %v %v", got, err)
	}
	got, err := docs(env).GetDocument(cw, &casebridgev1.GetDocumentRequest{Id: d.GetId()})
	if err != nil {
		t.Fatalf("the owner's caseworker gets the document: %v", err)
	}
	if got.GetDocument().GetHearingId() != "" {
		t.Errorf("get shows the caseworker hearing %s", got.GetDocument().GetHearingId())
	}
	list, err := docs(env).ListDocuments(cw, &casebridgev1.ListDocumentsRequest{CaseId: sc.CaseID})
	if err != nil {
		t.Fatal(err)
	}
	listed := false
	for _, l := range list.GetDocuments() {
		listed = listed || l.GetId() == d.GetId()
		if l.GetHearingId() != "" {
			t.Errorf("list shows the caseworker hearing %s", l.GetHearingId())
		}
	}
	if !listed {
		t.Errorf("the caseworker's list lacks the document")
	}
	down, _, err := servertest.Download(cw, env.Conn, d.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if down.GetHearingId() != "" {
		t.Errorf("download shows the caseworker hearing %s", down.GetHearingId())
	}
}
