package documents_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestDocumentIDConfirmsNothingOutOfSight: a document id the caller may not
// read answers every call exactly as an id no document has — NotFound,
// whatever the call (a delete too). A receiver probing the id of a document
// of a class its referral does not grant learns nothing, not even that it
// exists; nor does a former owner following a transferred case learn
// whether a document it knew is still there.
func TestDocumentIDConfirmsNothingOutOfSight(t *testing.T) {
	env := servertest.Start(t)
	sc := env.SealedCase(t) // cso-c is granted care; sc.Document is legal
	cso := env.As(t, "caseworker@cso-c")
	// same reports whether err is the answer an unknown id gets, with the
	// id swapped.
	same := func(t *testing.T, what string, err error, id string, call func(string) error) {
		t.Helper()
		unknown := uuid.NewString()
		want := call(unknown)
		if status.Code(want) != codes.NotFound {
			t.Fatalf("%s of an unknown document: %v, want NotFound", what, want)
		}
		got, _ := status.FromError(err)
		exp, _ := status.FromError(want)
		if got.Code() != exp.Code() || got.Message() != strings.ReplaceAll(exp.Message(), unknown, id) {
			t.Errorf("%s of a document out of sight: %v; an unknown one: %v", what, err, want)
		}
	}
	t.Run("receiver without the class", func(t *testing.T) {
		call := func(id string) error {
			_, err := docs(env).DeleteDocument(cso, &casebridgev1.DeleteDocumentRequest{Id: id})
			return err
		}
		same(t, "delete", call(sc.Document), sc.Document, call)
		get := func(id string) error {
			_, err := docs(env).GetDocument(cso, &casebridgev1.GetDocumentRequest{Id: id})
			return err
		}
		same(t, "get", get(sc.Document), sc.Document, get)
	})

	t.Run("former owner following the case", func(t *testing.T) {
		cw := env.As(t, "caseworker@shelter-a")
		id := env.NewMarkedCase(t)
		kept, err := servertest.Upload(cw, env.Conn, meta(id, care, "kept"), bytes.NewReader(text(5000)))
		if err != nil {
			t.Fatal(err)
		}
		gone, err := servertest.Upload(cw, env.Conn, meta(id, care, "gone"), bytes.NewReader(text(5000)))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			purpose casebridgev1.ConsentPurpose
			org     string
		}{{casebridgev1.ConsentPurpose_CONSENT_PURPOSE_TRANSFER, "cso-c"}, {casebridgev1.ConsentPurpose_CONSENT_PURPOSE_FOLLOW_UP, "shelter-a"}} {
			if _, err := env.Cases().RecordConsent(cw, &casebridgev1.RecordConsentRequest{CaseId: id, Purpose: c.purpose,
				Decision:  casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
				Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: c.org}}); err != nil {
				t.Fatal(err)
			}
		}
		ts := casebridgev1.NewTransferServiceClient(env.Conn)
		p, err := ts.ProposeTransfer(env.As(t, "supervisor@shelter-a"), &casebridgev1.ProposeTransferRequest{CaseId: id, ToOrganizationId: "cso-c"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ts.AcceptTransfer(cso, &casebridgev1.AcceptTransferRequest{Id: p.GetTransfer().GetId()}); err != nil {
			t.Fatal(err)
		}
		// The new owner reads the documents (the re-key covered them) and
		// deletes one.
		if _, content, err := servertest.Download(cso, env.Conn, kept.GetId()); err != nil || !bytes.Equal(content, text(5000)) {
			t.Fatalf("the new owner downloads the case's document: %v", err)
		}
		if _, err := docs(env).DeleteDocument(cso, &casebridgev1.DeleteDocumentRequest{Id: gone.GetId()}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Cases().GetCase(cw, &casebridgev1.GetCaseRequest{Id: id}); err != nil {
			t.Fatalf("the follower sees the case: %v", err)
		}
		get := func(id string) error {
			_, err := docs(env).GetDocument(cw, &casebridgev1.GetDocumentRequest{Id: id})
			return err
		}
		same(t, "get of the kept document", get(kept.GetId()), kept.GetId(), get)
		same(t, "get of the deleted document", get(gone.GetId()), gone.GetId(), get)
		down := func(id string) error {
			_, _, err := servertest.Download(cw, env.Conn, id)
			return err
		}
		same(t, "download of the kept document", down(kept.GetId()), kept.GetId(), down)
	})
}
