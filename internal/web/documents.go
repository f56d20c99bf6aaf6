package web

import (
	"crypto/subtle"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The documents of a case: the case page lists those the caller may read
// and uploads new ones; a document's own URL (its id, nothing else)
// downloads it. Content passes through the web client one chunk at a
// time, in both directions: the upload's multipart body is read part by
// part and sent to the API's client-streaming upload as it arrives, the
// download's server stream written to the response as it arrives.

func (s *Server) routesDocuments(mux *http.ServeMux) {
	// A receiver files and reads documents too, in the classes its
	// referral grants; the server decides.
	mux.Handle("POST /cases/{id}/documents", s.Signed(Access{Roles: referralRoles, Streamed: true}, s.handleUploadDocument))
	mux.Handle("GET /documents/{doc}", s.Signed(Access{Roles: referralRoles}, s.handleDownloadDocument))
}

// docChunk is how much of a file one upload message carries, as casectl
// sends: the only part of a file the web client holds at a time.
const docChunk = 256 << 10

// docFieldBytes bounds each text field of the upload form.
const docFieldBytes = 4 << 10

// docDrainBytes is how much of a refused upload's remaining body is read
// (and thrown away) so that the browser, still sending, receives the
// page that says why; past it the connection is closed.
const docDrainBytes = 4 << 30

// docFields are the upload form's text fields, in the order the form
// sends them (after csrf, before the file).
var docFields = []string{"request_id", "data_class", "title", "kind", "document_date"}

// errUploadForm is an upload form that is not what the page sends.
var errUploadForm = errors.New("not the upload form")

// handleUploadDocument streams the upload form into UploadDocument: the
// form's first part is its CSRF token (checked before anything else is
// read), then its text fields, then the file, sent on chunk by chunk.
func (s *Server) handleUploadDocument(w http.ResponseWriter, q *Request) {
	mr, err := q.MultipartReader()
	if err != nil {
		s.fail(w, q, http.StatusBadRequest, "error.invalid")
		return
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "csrf" || !s.csrfPart(part, q.S.CSRF) {
		s.csrfRefused(w, q)
		return
	}
	d := &caseView{V: map[string]string{}, Errors: map[string]string{}, Section: "documents"}
	file, err := uploadFields(mr, d.V)
	if err != nil {
		s.fail(w, q, http.StatusBadRequest, "error.invalid")
		return
	}
	d.DocumentRID = d.V["request_id"]
	if !requestIDPattern.MatchString(d.DocumentRID) {
		d.DocumentRID = keptRID(q)
	}
	md := &casebridgev1.DocumentMetadata{CaseId: q.PathValue("id"), RequestId: d.DocumentRID,
		DataClass: casebridgev1.DataClass(casebridgev1.DataClass_value[d.V["data_class"]]),
		Title:     d.V["title"], Kind: d.V["kind"], DocumentDate: d.V["document_date"], FileName: file.FileName()}
	if err := s.sendDocument(q, md, file); err != nil {
		// The browser may still be sending the file: read the rest so
		// that it gets the answer rather than a reset connection.
		_, _ = io.Copy(io.Discard, io.LimitReader(q.Body, docDrainBytes))
		s.uploadRefused(w, q, d, err)
		return
	}
	redirect(w, q.Request, caseURL(q), "flash.document_uploaded")
}

// csrfPart reads the token of the form's csrf part and compares it with
// want in constant time.
func (s *Server) csrfPart(p *multipart.Part, want string) bool {
	got, err := io.ReadAll(io.LimitReader(p, 256))
	return err == nil && want != "" && subtle.ConstantTimeCompare(got, []byte(want)) == 1
}

// uploadFields reads the form's text fields into v up to its file part,
// which it returns.
func uploadFields(mr *multipart.Reader, v map[string]string) (*multipart.Part, error) {
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, errUploadForm // the form ended without a file
		}
		name := part.FormName()
		if name == "file" {
			return part, nil
		}
		known := false
		for _, f := range docFields {
			known = known || f == name
		}
		b, err := io.ReadAll(io.LimitReader(part, docFieldBytes+1))
		if !known || err != nil || len(b) > docFieldBytes {
			return nil, errUploadForm
		}
		v[name] = strings.TrimSpace(string(b))
	}
}

// sendDocument streams file into an upload described by md. The returned
// error is the API's refusal, if any.
func (s *Server) sendDocument(q *Request, md *casebridgev1.DocumentMetadata, file io.Reader) error {
	stream, err := casebridgev1.NewDocumentServiceClient(s.api.conn).UploadDocument(q.Ctx)
	if err != nil {
		return err
	}
	if err := stream.Send(&casebridgev1.UploadDocumentRequest{Item: &casebridgev1.UploadDocumentRequest_Metadata{Metadata: md}}); err != nil {
		_, err = stream.CloseAndRecv()
		return err
	}
	buf := make([]byte, docChunk)
	for {
		n, rerr := io.ReadFull(file, buf)
		if n > 0 {
			if err := stream.Send(&casebridgev1.UploadDocumentRequest{Item: &casebridgev1.UploadDocumentRequest_Chunk{Chunk: buf[:n]}}); err != nil {
				// The server ended the upload (a refusal): its status says why.
				_, err = stream.CloseAndRecv()
				return err
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			// The browser's body broke off: end the upload, store nothing.
			return status.Error(codes.Canceled, "the upload was interrupted")
		}
	}
	_, err = stream.CloseAndRecv()
	return err
}

// uploadRefused shows the case page again with the upload's refusal: the
// file's problem (too large, a type not accepted) beside the file field,
// a metadata field's beside that field.
func (s *Server) uploadRefused(w http.ResponseWriter, q *Request, d *caseView, err error) {
	e := explain(err, documentField)
	if e.Status == http.StatusNotFound {
		s.fail(w, q, e.Status, e.Key)
		return
	}
	for k, v := range e.Fields {
		d.Errors[k] = v
	}
	if _, ok := e.Fields["file"]; ok {
		st, _ := status.FromError(err)
		d.Errors["file"] = "documents.file_refused"
		if strings.Contains(st.Message(), "larger than the limit") {
			d.Errors["file"] = "documents.too_large"
		}
	}
	if e.Key == "error.internal" && status.Code(err) == codes.Canceled {
		e.Status, e.Key = http.StatusBadRequest, "documents.interrupted"
	}
	d.Refusal = q.L.T(e.Key)
	s.showCase(w, q, d, e.Status)
}

// documentField maps the API's field of an upload refusal to the form's.
func documentField(path string) string {
	switch path {
	case "chunk":
		return "file"
	case "metadata.data_class", "metadata.title", "metadata.kind", "metadata.document_date":
		return strings.TrimPrefix(path, "metadata.")
	case "metadata.file_name":
		return "file"
	}
	return ""
}

// handleDownloadDocument streams a document to the browser as an
// attachment, never kept by a cache. The URL names the document's id
// only; one the caller may not read (another organisation's, a class the
// caller's referral does not grant) is the same page as one that does not
// exist.
func (s *Server) handleDownloadDocument(w http.ResponseWriter, q *Request) {
	id := q.PathValue("doc")
	if !requestIDPattern.MatchString(id) {
		s.fail(w, q, http.StatusNotFound, "error.not_found")
		return
	}
	stream, err := casebridgev1.NewDocumentServiceClient(s.api.conn).DownloadDocument(q.Ctx, &casebridgev1.DownloadDocumentRequest{Id: id})
	var first *casebridgev1.DownloadDocumentResponse
	if err == nil {
		first, err = stream.Recv()
	}
	if err == nil && first.GetDocument() == nil {
		err = rpcerr.DataLoss("document %s: the download did not begin with its metadata", id)
	}
	if err != nil {
		e := explain(err, nil)
		s.fail(w, q, e.Status, e.Key)
		return
	}
	doc := first.GetDocument()
	h := w.Header()
	h.Set("Content-Type", downloadType(doc.GetContentType()))
	h.Set("Content-Disposition", attachment(doc))
	h.Set("Content-Length", strconv.FormatInt(doc.GetSizeBytes(), 10))
	h.Set("Cache-Control", "no-store")
	// The content is the person's document, never a page of this site.
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.WriteHeader(http.StatusOK)
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			// Content that fails its integrity check, or the API gone,
			// midway: the browser must see a failed download, not a
			// shorter file.
			s.log.Warn("web: document download broke off", "code", status.Code(err).String())
			panic(http.ErrAbortHandler)
		}
		if _, err := w.Write(msg.GetChunk()); err != nil {
			return // the browser went away; the stream ends with q.Ctx
		}
	}
}

// downloadType is the response's type: the type the server sniffed from
// the bytes (its allow-list holds nothing a browser runs), else bytes.
func downloadType(ct string) string {
	if _, _, err := mime.ParseMediaType(ct); err != nil || ct == "" {
		return "application/octet-stream"
	}
	return ct
}

// attachment is the Content-Disposition of doc's download: an attachment
// under its file name (RFC 2231-encoded where it is not ASCII).
func attachment(doc *casebridgev1.Document) string {
	name := doc.GetFileName()
	if name == "" {
		name = "document"
	}
	if v := mime.FormatMediaType("attachment", map[string]string{"filename": name}); v != "" {
		return v
	}
	return "attachment"
}

// documentDate formats a document's YYYY-MM-DD date in the page's language.
func (p *Page) DocumentDate(date string) string {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	return p.L.Form.Date(t)
}

// FileSize formats a document's size in the page's language: bytes, kB or
// MB (decimal units, rounded), as file managers show them.
func (p *Page) FileSize(n int64) string {
	switch {
	case n < 1000:
		return p.T("documents.size_bytes", "N", p.L.Form.Int(n))
	case n < 1000*1000:
		return p.T("documents.size_kb", "N", p.L.Form.Int((n+500)/1000))
	default:
		return p.T("documents.size_mb", "N", p.L.Form.Int((n+500_000)/1000_000))
	}
}
