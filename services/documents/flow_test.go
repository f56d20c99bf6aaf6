package documents_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const (
	legal = casebridgev1.DataClass_DATA_CLASS_LEGAL
	care  = casebridgev1.DataClass_DATA_CLASS_CARE
)

// text is n bytes of plain text (sniffed as text/plain), ending in a
// counter so that no two documents are alike.
func text(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %d of a witness statement, written in plain words.\n", i)
	}
	return b.Bytes()[:n]
}

// pdf is n bytes beginning like a PDF file.
func pdf(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	copy(b, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return b
}

func meta(caseID string, class casebridgev1.DataClass, title string) *casebridgev1.DocumentMetadata {
	return &casebridgev1.DocumentMetadata{CaseId: caseID, DataClass: class, Title: title, Kind: "statement",
		DocumentDate: "2025-03-14", FileName: "statement-" + title + ".txt"}
}

func docs(env *servertest.Env) casebridgev1.DocumentServiceClient {
	return casebridgev1.NewDocumentServiceClient(env.Conn)
}

// TestRoundTrip: files from 0 bytes to beyond every chunk size (age's
// 64 KiB, the store's 1 MiB, the upload's 256 KiB messages) come back byte
// for byte, with their sealed metadata, through download, get and list.
func TestRoundTrip(t *testing.T) {
	env := servertest.Start(t)
	cw := env.As(t, "caseworker@shelter-a")
	caseID := env.NewMarkedCase(t)
	sizes := []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 256<<10 + 17, 1<<20 + 3, 3<<20 + 5}
	ids := map[string][]byte{}
	for _, n := range sizes {
		content := text(n)
		if n > 1000 && n%2 == 1 {
			content = pdf(t, n)
		}
		d, err := servertest.Upload(cw, env.Conn, meta(caseID, legal, fmt.Sprint(n)), bytes.NewReader(content))
		if err != nil {
			t.Fatalf("upload %d bytes: %v", n, err)
		}
		if d.GetSizeBytes() != int64(n) || d.GetTitle() != fmt.Sprint(n) || d.GetKind() != "statement" || d.GetDocumentDate() != "2025-03-14" {
			t.Fatalf("upload %d bytes answered %v", n, d)
		}
		wantType := "text/" // plain, or csv: the statement has commas
		if n > 1000 && n%2 == 1 {
			wantType = "application/pdf"
		}
		if !strings.HasPrefix(d.GetContentType(), wantType) {
			t.Errorf("%d bytes sniffed as %q, want %q", n, d.GetContentType(), wantType)
		}
		ids[d.GetId()] = content
		got, back, err := servertest.Download(cw, env.Conn, d.GetId())
		if err != nil {
			t.Fatalf("download %d bytes: %v", n, err)
		}
		if !bytes.Equal(back, content) {
			t.Fatalf("download of %d bytes returned %d different bytes", n, len(back))
		}
		if got.GetFileName() != "statement-"+fmt.Sprint(n)+".txt" || got.GetSizeBytes() != int64(n) {
			t.Fatalf("download metadata %v", got)
		}
	}
	list, err := docs(env).ListDocuments(cw, &casebridgev1.ListDocumentsRequest{CaseId: caseID, PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	seen := len(list.GetDocuments())
	for tok := list.GetNextPageToken(); tok != ""; {
		page, err := docs(env).ListDocuments(cw, &casebridgev1.ListDocumentsRequest{CaseId: caseID, PageSize: 3, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		seen += len(page.GetDocuments())
		tok = page.GetNextPageToken()
	}
	if seen != len(sizes) {
		t.Fatalf("listed %d documents over pages, uploaded %d", seen, len(sizes))
	}
}

// TestDownloadIsAnAuditedRead: a download, a get and a list each leave a
// read of the document's class; an upload a change of it.
func TestDownloadIsAnAuditedRead(t *testing.T) {
	env := servertest.Start(t)
	caseID := env.NewMarkedCase(t)
	as := func(rid string) context.Context {
		return servertest.WithRequestID(env.As(t, "caseworker@shelter-a"), rid)
	}
	d, err := servertest.Upload(as("up-1"), env.Conn, meta(caseID, care, "certificate"), bytes.NewReader(text(5000)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := servertest.Download(as("down-1"), env.Conn, d.GetId()); err != nil {
		t.Fatal(err)
	}
	if _, err := docs(env).GetDocument(as("get-1"), &casebridgev1.GetDocumentRequest{Id: d.GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := docs(env).ListDocuments(as("list-1"), &casebridgev1.ListDocumentsRequest{CaseId: caseID}); err != nil {
		t.Fatal(err)
	}
	tr := env.AuditTrail(t, caseID)
	want := servertest.AuditExpect{Code: "OK", Org: "shelter-a", Classes: []casebridgev1.DataClass{care}}
	ev := tr.Check(t, "up-1", "/casebridge.v1.DocumentService/UploadDocument", "caseworker@shelter-a", want)
	env.SameTx(t, ev[0], `SELECT xmin FROM documents WHERE id = $1`, d.GetId())
	tr.Check(t, "down-1", "/casebridge.v1.DocumentService/DownloadDocument", "caseworker@shelter-a", want)
	tr.Check(t, "get-1", "/casebridge.v1.DocumentService/GetDocument", "caseworker@shelter-a", want)
	tr.Check(t, "list-1", "/casebridge.v1.DocumentService/ListDocuments", "caseworker@shelter-a", want)
}

// TestTamperedContentIsDataLoss: a truncated object, an object moved
// under another document, and an envelope copied from another document
// each end the download with DataLoss, never someone else's content.
func TestTamperedContentIsDataLoss(t *testing.T) {
	env := servertest.Start(t)
	cw := env.As(t, "caseworker@shelter-a")
	caseID := env.NewMarkedCase(t)
	ctx := context.Background()
	upload := func(n int) string {
		d, err := servertest.Upload(cw, env.Conn, meta(caseID, legal, "t"), bytes.NewReader(text(n)))
		if err != nil {
			t.Fatal(err)
		}
		return d.GetId()
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := env.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	wantLoss := func(what, id string) {
		t.Helper()
		_, _, err := servertest.Download(cw, env.Conn, id)
		if status.Code(err) != codes.DataLoss {
			t.Errorf("%s: download gave %v, want DataLoss", what, err)
		}
	}

	// Truncated: the last 100 bytes of the ciphertext cut off, the stored
	// sizes made to agree, so only the encryption can tell.
	cut := upload(200_000)
	exec(`UPDATE blob_chunks c SET data = substring(c.data from 1 for octet_length(c.data) - 100)
		FROM blob_objects o, documents d WHERE d.id = $1 AND o.id = d.object_id AND c.blob = o.blob
		AND c.seq = o.chunks - 1`, cut)
	exec(`UPDATE blob_objects o SET size = o.size - 100 FROM documents d WHERE d.id = $1 AND o.id = d.object_id`, cut)
	wantLoss("truncated ciphertext", cut)

	// Cut by the store's own bookkeeping: a chunk gone.
	gone := upload(1<<20 + 10)
	exec(`DELETE FROM blob_chunks c USING blob_objects o, documents d WHERE d.id = $1 AND o.id = d.object_id AND c.blob = o.blob AND c.seq = 1`, gone)
	wantLoss("missing chunk", gone)

	// Moved: document a names document b's object.
	a, b := upload(3000), upload(4000)
	exec(`UPDATE documents SET object_id = 'x' || object_id WHERE id = $1`, b)
	exec(`UPDATE documents SET object_id = (SELECT substring(object_id from 2) FROM documents WHERE id = $2) WHERE id = $1`, a, b)
	wantLoss("another document's object", a)

	// Envelope copied from another document of the same case and class.
	c, e := upload(100), upload(100)
	exec(`UPDATE documents SET envelope = (SELECT envelope FROM documents WHERE id = $2) WHERE id = $1`, c, e)
	_, err := docs(env).GetDocument(cw, &casebridgev1.GetDocumentRequest{Id: c})
	if status.Code(err) != codes.DataLoss {
		t.Errorf("copied envelope: get gave %v, want DataLoss", err)
	}
	wantLoss("copied envelope", c)

	// The object missing altogether.
	m := upload(100)
	exec(`DELETE FROM blob_objects o USING documents d WHERE d.id = $1 AND o.id = d.object_id`, m)
	wantLoss("missing object", m)
}

func pgDump(t *testing.T, url string) []byte {
	t.Helper()
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
		if len(matches) == 0 {
			t.Fatal("pg_dump not found: install the PostgreSQL client or server binaries")
		}
		bin = matches[len(matches)-1]
	}
	out, err := exec.Command(bin, "--no-owner", url).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	if !bytes.Contains(out, []byte("CREATE TABLE public.blob_chunks")) {
		t.Fatal("pg_dump output does not look like the database")
	}
	return out
}

// TestDumpHoldsNoPlaintext: neither a document's content nor its title,
// kind or file name appear in a pg_dump (the content is stored as age
// ciphertext in blob_chunks, the texts sealed), before or after erasure.
func TestDumpHoldsNoPlaintext(t *testing.T) {
	env := servertest.Start(t)
	sc := env.SealedCase(t)
	cw := env.As(t, "caseworker@shelter-a")
	md := meta(sc.CaseID, care, servertest.MarkDocTitle)
	md.Kind, md.FileName = "Marker-Kind-8812", "Marker-FileName-8812.txt"
	if _, err := servertest.Upload(cw, env.Conn, md, strings.NewReader(strings.Repeat(servertest.MarkDocContent+" ", 50_000))); err != nil {
		t.Fatal(err)
	}
	markers := []string{servertest.MarkDocContent, servertest.MarkDocTitle, "Marker-Kind-8812", "Marker-FileName-8812"}
	check := func(when string) {
		dump := pgDump(t, env.DBURL)
		for _, m := range markers {
			if bytes.Contains(dump, []byte(m)) {
				t.Errorf("pg_dump %s contains the plaintext %q", when, m)
			}
		}
	}
	check("before erasure")
	if _, err := env.Cases().EraseCase(env.As(t, "supervisor@shelter-a"), &casebridgev1.EraseCaseRequest{Id: sc.CaseID, Reason: "asked"}); err != nil {
		t.Fatal(err)
	}
	check("after erasure")
}

// TestRevocationRekeysOnlyTheDocumentKey: a receiver reads the documents of
// the class its referral grants and no other; after the sharing is revoked
// (the case re-keyed) it reads none, the owner reads all, each envelope is
// re-sealed and no byte of the stored content changed.
func TestRevocationRekeysOnlyTheDocumentKey(t *testing.T) {
	env := servertest.Start(t)
	sc := env.SealedCase(t) // referred to cso-c, accepted, granting care
	cw, cso := env.As(t, "caseworker@shelter-a"), env.As(t, "caseworker@cso-c")
	careDoc, err := servertest.Upload(cw, env.Conn, meta(sc.CaseID, care, "care plan"), bytes.NewReader(text(300_000)))
	if err != nil {
		t.Fatal(err)
	}
	legalDoc := sc.Document
	ctx := context.Background()

	if _, content, err := servertest.Download(cso, env.Conn, careDoc.GetId()); err != nil || !bytes.Equal(content, text(300_000)) {
		t.Fatalf("the receiver downloads the care document it was granted: %v", err)
	}
	if _, _, err := servertest.Download(cso, env.Conn, legalDoc); status.Code(err) != codes.NotFound {
		t.Fatalf("the receiver downloads a legal document it was not granted: %v", err)
	}
	list, err := docs(env).ListDocuments(cso, &casebridgev1.ListDocumentsRequest{CaseId: sc.CaseID})
	if err != nil || len(list.GetDocuments()) != 1 || list.GetDocuments()[0].GetId() != careDoc.GetId() {
		t.Fatalf("the receiver lists %v (%v), want the care document alone", list.GetDocuments(), err)
	}
	// A receiver files only in the classes it was granted, and deletes nothing.
	if _, err := servertest.Upload(cso, env.Conn, meta(sc.CaseID, legal, "x"), bytes.NewReader(text(10))); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("the receiver files a legal document: %v", err)
	}
	if _, err := docs(env).DeleteDocument(cso, &casebridgev1.DeleteDocumentRequest{Id: careDoc.GetId()}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("the receiver deletes the owner's document: %v", err)
	}

	snapshot := func() (map[string]string, map[string]string) {
		env0, content0 := map[string]string{}, map[string]string{}
		rows, err := env.Pool.Query(ctx, `SELECT d.id::text, encode(d.envelope, 'hex'),
				(SELECT encode(sha256(string_agg(c.data, ''::bytea ORDER BY c.seq)), 'hex') FROM blob_chunks c JOIN blob_objects o ON o.blob = c.blob WHERE o.id = d.object_id)
			FROM documents d WHERE d.case_id = $1`, sc.CaseID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, e, c string
			if err := rows.Scan(&id, &e, &c); err != nil {
				t.Fatal(err)
			}
			env0[id], content0[id] = e, c
		}
		return env0, content0
	}
	envBefore, contentBefore := snapshot()
	if _, err := casebridgev1.NewReferralServiceClient(env.Conn).RevokeSharing(cw, &casebridgev1.RevokeSharingRequest{Id: sc.Accepted}); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	envAfter, contentAfter := snapshot()
	if len(envAfter) != 2 {
		t.Fatalf("%d documents after the re-key, want 2", len(envAfter))
	}
	for id := range envBefore {
		if envAfter[id] == envBefore[id] {
			t.Errorf("document %s: envelope not re-sealed by the re-key", id)
		}
		if contentAfter[id] != contentBefore[id] {
			t.Errorf("document %s: the re-key rewrote its content", id)
		}
	}
	for _, id := range []string{careDoc.GetId(), legalDoc} {
		if _, _, err := servertest.Download(cso, env.Conn, id); status.Code(err) != codes.NotFound {
			t.Errorf("after revocation the receiver downloads %s: %v", id, err)
		}
		if _, _, err := servertest.Download(cw, env.Conn, id); err != nil {
			t.Errorf("after revocation the owner cannot download %s: %v", id, err)
		}
	}
	if _, _, err := servertest.Download(env.As(t, "lawyer@legal-b"), env.Conn, legalDoc); err != nil {
		t.Errorf("after revoking cso-c the legal partner cannot download the legal document: %v", err)
	}
}

// TestErasureDestroysDocuments: erasing the case deletes its documents'
// rows (their keys) in the erasure's transaction and their objects soon
// after; a download is then NotFound.
func TestErasureDestroysDocuments(t *testing.T) {
	env := servertest.Start(t)
	cw := env.As(t, "caseworker@shelter-a")
	caseID := env.NewMarkedCase(t)
	other := env.NewMarkedCase(t)
	var ids []string
	for i := range 3 {
		d, err := servertest.Upload(cw, env.Conn, meta(caseID, legal, fmt.Sprint(i)), bytes.NewReader(text(100_000*(i+1))))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.GetId())
	}
	kept, err := servertest.Upload(cw, env.Conn, meta(other, legal, "kept"), bytes.NewReader(text(1000)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Cases().EraseCase(env.As(t, "supervisor@shelter-a"), &casebridgev1.EraseCaseRequest{Id: caseID, Reason: "asked"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var rows int
	if err := env.Pool.QueryRow(ctx, `SELECT count(*) FROM documents WHERE case_id = $1`, caseID).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("%d document rows of the erased case remain (%v)", rows, err)
	}
	for _, id := range ids {
		if _, _, err := servertest.Download(cw, env.Conn, id); status.Code(err) != codes.NotFound {
			t.Errorf("download of an erased document: %v", err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var objects, queued int
		if err := env.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM blob_objects), (SELECT count(*) FROM document_object_deletions)`).Scan(&objects, &queued); err != nil {
			t.Fatal(err)
		}
		if objects == 1 && queued == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d objects and %d queued deletions remain 30 s after the erasure, want the other case's one object", objects, queued)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, content, err := servertest.Download(cw, env.Conn, kept.GetId()); err != nil || !bytes.Equal(content, text(1000)) {
		t.Fatalf("the other case's document: %v", err)
	}
}

// TestConcurrentUploadsUnderOneRequestIDStoreOne: uploads racing with one
// request id all answer with one document, and only its object is kept.
func TestConcurrentUploadsUnderOneRequestIDStoreOne(t *testing.T) {
	env := servertest.Start(t)
	caseID := env.NewMarkedCase(t)
	md := meta(caseID, legal, "once")
	md.RequestId = uuid.NewString()
	const n = 4
	var wg sync.WaitGroup
	got := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			d, err := servertest.Upload(env.As(t, "caseworker@shelter-a"), env.Conn, md, bytes.NewReader(text(300_000)))
			got[i], errs[i] = d.GetId(), err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("upload %d: %v", i, errs[i])
		}
		if got[i] != got[0] {
			t.Fatalf("uploads under one request id answered documents %v", got)
		}
	}
	ctx := context.Background()
	var rows int
	if err := env.Pool.QueryRow(ctx, `SELECT count(*) FROM documents WHERE case_id = $1`, caseID).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("%d documents stored (%v), want 1", rows, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var objects int
		if err := env.Pool.QueryRow(ctx, `SELECT count(*) FROM blob_objects`).Scan(&objects); err != nil {
			t.Fatal(err)
		}
		if objects == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d objects remain, want the document's one", objects)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The same request id on another case names another upload: that
	// case's document, never the first case's.
	md2 := meta(env.NewMarkedCase(t), legal, "other")
	md2.RequestId = md.RequestId
	d2, err := servertest.Upload(env.As(t, "caseworker@shelter-a"), env.Conn, md2, bytes.NewReader(text(10)))
	if err != nil || d2.GetId() == got[0] || d2.GetCaseId() != md2.GetCaseId() {
		t.Fatalf("the request id on another case answered %v (%v)", d2, err)
	}
}

// TestBadInput: every malformed or refused upload is InvalidArgument naming
// the field (or FailedPrecondition / PermissionDenied for the rule), and
// stores nothing.
func TestBadInput(t *testing.T) {
	env := servertest.Start(t, func(c *server.Config) { c.Limits.DocumentBytes = 1 << 20 })
	cw := env.As(t, "caseworker@shelter-a")
	caseID := env.NewMarkedCase(t)
	other := env.NewMarkedCase(t)
	otherConsent, err := env.Cases().RecordConsent(cw, &casebridgev1.RecordConsentRequest{CaseId: other,
		Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_STATISTICS, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED})
	if err != nil {
		t.Fatal(err)
	}
	elf := append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 4000)...)
	html := []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")
	zip := []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00" + strings.Repeat("\x00", 200))
	mutate := func(f func(*casebridgev1.DocumentMetadata)) *casebridgev1.DocumentMetadata {
		m := meta(caseID, legal, "bad")
		f(m)
		return m
	}
	for _, tt := range []struct {
		name    string
		md      *casebridgev1.DocumentMetadata
		content []byte
		field   string
		code    codes.Code
		says    string
	}{
		{"too large", meta(caseID, legal, "big"), text(1<<20 + 1), "chunk", codes.InvalidArgument, "limit of 1MiB (1048576 bytes)"},
		{"executable named .pdf", mutate(func(m *casebridgev1.DocumentMetadata) { m.FileName = "scan.pdf" }), elf, "chunk", codes.InvalidArgument, "not accepted"},
		{"html", meta(caseID, legal, "page"), html, "chunk", codes.InvalidArgument, "text/html"},
		{"bare zip", meta(caseID, legal, "zip"), zip, "chunk", codes.InvalidArgument, "application/zip"},
		{"no class", mutate(func(m *casebridgev1.DocumentMetadata) { m.DataClass = 0 }), text(10), "metadata.data_class", codes.InvalidArgument, ""},
		{"no title", mutate(func(m *casebridgev1.DocumentMetadata) { m.Title = "" }), text(10), "metadata.title", codes.InvalidArgument, ""},
		{"bad date", mutate(func(m *casebridgev1.DocumentMetadata) { m.DocumentDate = "14.3.2025" }), text(10), "metadata.document_date", codes.InvalidArgument, ""},
		{"bad case id", mutate(func(m *casebridgev1.DocumentMetadata) { m.CaseId = "nope" }), text(10), "metadata.case_id", codes.InvalidArgument, ""},
		{"consent of another case", mutate(func(m *casebridgev1.DocumentMetadata) { m.ConsentId = otherConsent.GetConsent().GetId() }), text(10), "metadata.consent_id", codes.InvalidArgument, ""},
		{"unknown hearing", mutate(func(m *casebridgev1.DocumentMetadata) { m.HearingId = uuid.NewString() }), text(10), "metadata.hearing_id", codes.InvalidArgument, ""},
		{"hearing and claim", mutate(func(m *casebridgev1.DocumentMetadata) { m.HearingId, m.ClaimId = uuid.NewString(), uuid.NewString() }), text(10), "metadata.claim_id", codes.InvalidArgument, ""},
		{"unknown case", mutate(func(m *casebridgev1.DocumentMetadata) { m.CaseId = uuid.NewString() }), text(10), "", codes.NotFound, "not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := servertest.Upload(cw, env.Conn, tt.md, bytes.NewReader(tt.content))
			switch {
			case tt.field != "":
				servertest.WantField(t, err, tt.field)
				if tt.says != "" {
					servertest.WantMessage(t, err, tt.code, tt.says)
				}
			default:
				servertest.WantMessage(t, err, tt.code, tt.says)
			}
		})
	}
	// Metadata must come first, and only once.
	stream, err := docs(env).UploadDocument(cw)
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.Send(&casebridgev1.UploadDocumentRequest{Item: &casebridgev1.UploadDocumentRequest_Chunk{Chunk: []byte("x")}})
	_, err = stream.CloseAndRecv()
	servertest.WantField(t, err, "metadata")
	stream, err = docs(env).UploadDocument(cw)
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.Send(&casebridgev1.UploadDocumentRequest{Item: &casebridgev1.UploadDocumentRequest_Metadata{Metadata: meta(caseID, legal, "a")}})
	_ = stream.Send(&casebridgev1.UploadDocumentRequest{Item: &casebridgev1.UploadDocumentRequest_Metadata{Metadata: meta(caseID, legal, "b")}})
	_, err = stream.CloseAndRecv()
	servertest.WantField(t, err, "metadata")

	// An erased case takes no documents.
	if _, err := env.Cases().EraseCase(env.As(t, "supervisor@shelter-a"), &casebridgev1.EraseCaseRequest{Id: other, Reason: "asked"}); err != nil {
		t.Fatal(err)
	}
	_, err = servertest.Upload(cw, env.Conn, meta(other, legal, "late"), bytes.NewReader(text(10)))
	servertest.WantCode(t, err, codes.FailedPrecondition)

	var n int
	if err := env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM documents`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d documents stored by refused uploads (%v)", n, err)
	}
}
