package policies_test

import (
	"context"
	"strings"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"

	"github.com/casebridge/casebridge/internal/servertest"
)

func init() { mergeProbes(documentProbes) }

// legalDocument is the metadata of a legal-class document of case caseID.
func legalDocument(caseID string) *casebridgev1.DocumentMetadata {
	return &casebridgev1.DocumentMetadata{CaseId: caseID, DataClass: casebridgev1.DataClass_DATA_CLASS_LEGAL, Title: "matrix statement"}
}

// newDocument is a fresh open case of shelter-a holding a legal document
// its caseworker filed.
func (w *world) newDocument() fixture {
	fx := w.newCase("open")
	d, err := servertest.Upload(w.as("caseworker@shelter-a"), w.env.Conn, legalDocument(fx.caseID), strings.NewReader("statement of the matrix"))
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	fx.documentID = d.GetId()
	return fx
}

func (w *world) documents() casebridgev1.DocumentServiceClient {
	return casebridgev1.NewDocumentServiceClient(w.env.Conn)
}

var documentProbes = map[string]probe{
	"DocumentService/UploadDocument": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := servertest.Upload(ctx, w.env.Conn, legalDocument(fx.caseID), strings.NewReader("evidence"))
		return err
	}},
	"DocumentService/DownloadDocument": {(*world).newDocument, func(w *world, ctx context.Context, fx fixture) error {
		_, _, err := servertest.Download(ctx, w.env.Conn, fx.documentID)
		return err
	}},
	"DocumentService/GetDocument": {(*world).newDocument, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.documents().GetDocument(ctx, &casebridgev1.GetDocumentRequest{Id: fx.documentID})
		return err
	}},
	"DocumentService/ListDocuments": {(*world).newDocument, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.documents().ListDocuments(ctx, &casebridgev1.ListDocumentsRequest{CaseId: fx.caseID})
		return err
	}},
	"DocumentService/DeleteDocument": {(*world).newDocument, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.documents().DeleteDocument(ctx, &casebridgev1.DeleteDocumentRequest{Id: fx.documentID})
		return err
	}},
}
