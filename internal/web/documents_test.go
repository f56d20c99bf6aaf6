package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/web/webtest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// pdfFile is n bytes that begin like a PDF (the server sniffs the type
// from them), random after that, so that a byte changed on the way shows.
func pdfFile(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	copy(b, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return b
}

// The case page's documents: a caseworker uploads a PDF through the form
// (the file streamed through the web client to the API), sees it listed
// with its title, kind, date and size, and downloads it back byte for
// byte as an attachment that nothing may cache; a file over the size limit
// is refused beside the file field, and stores nothing; another
// organisation's document, asked for by its id, is not found.
func TestDocumentsUploadAndDownload(t *testing.T) {
	const limit = 3 << 20
	env := webtest.StartOn(t, servertest.Start(t, func(c *server.Config) { c.Limits.DocumentBytes = limit }))
	id := createCase(t, env, env.Client(t, "caseworker@shelter-a"))
	ctx := webtest.NewBrowser(t)
	env.SignIn(t, ctx, "caseworker@shelter-a")
	page := env.URL + "/cases/" + id
	dir := t.TempDir()
	content := pdfFile(t, 1<<20+12345) // beyond one 256 KiB chunk of the web client and the API
	src := filepath.Join(dir, "upload", "indictment.pdf")
	big := filepath.Join(dir, "upload", "too-big.pdf")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, pdfFile(t, limit+1), 0o600); err != nil {
		t.Fatal(err)
	}

	webtest.Do(t, ctx, "open the case", chromedp.Navigate(page))
	if got := webtest.Get(t, ctx, "documents", chromedp.Text(chromedp.CSS("#documents"))); !strings.Contains(got, "No documents you may read.") {
		t.Errorf("a case without documents shows %q", got)
	}
	webtest.Submit(t, ctx, "upload a file over the limit",
		chromedp.SetValue(chromedp.ID("f-doc-class"), "DATA_CLASS_LEGAL"),
		chromedp.SendKeys(chromedp.ID("f-title"), "Too big"),
		chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{big}),
		chromedp.Click(chromedp.ID("upload-document")))
	if got := webtest.Get(t, ctx, "file problem", chromedp.Text(chromedp.ID("err-file"))); got != "The file is larger than the size limit for documents." {
		t.Errorf("beside the file field: %q", got)
	}
	if got := webtest.Get(t, ctx, "title kept", chromedp.Value(chromedp.ID("f-title"))); got != "Too big" {
		t.Errorf("the refused form lost its title: %q", got)
	}

	webtest.Submit(t, ctx, "upload the indictment",
		chromedp.Navigate(page),
		chromedp.SetValue(chromedp.ID("f-doc-class"), "DATA_CLASS_LEGAL"),
		chromedp.SendKeys(chromedp.ID("f-title"), "Indictment"),
		chromedp.SendKeys(chromedp.ID("f-kind"), "court paper"),
		chromedp.SetValue(chromedp.ID("f-document_date"), "2025-03-14"),
		chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{src}),
		chromedp.Click(chromedp.ID("upload-document")))
	webtest.WaitJS(t, ctx, "uploaded", `!!document.querySelector('p.flash')`)
	if p := webtest.Path(t, ctx); p != "/cases/"+id {
		t.Fatalf("after the upload the browser is at %s", p)
	}
	row := webtest.Get(t, ctx, "listed", chromedp.Text(chromedp.CSS("#document-list tbody")))
	for _, want := range []string{"Indictment", "court paper", "14", "Legal", "1 MB"} {
		if !strings.Contains(row, want) {
			t.Errorf("the listed document %q lacks %q", row, want)
		}
	}
	if n := strings.Count(row, "Download"); n != 1 {
		t.Errorf("%d documents listed, want 1 (the refused upload stored nothing): %q", n, row)
	}
	href := webtest.Get(t, ctx, "download link", chromedp.Evaluate[string](`document.querySelector('#document-list a.download').getAttribute('href')`))
	docID := strings.TrimPrefix(href, "/documents/")
	if href == docID || len(docID) != 36 {
		t.Fatalf("the download link %q is not /documents/<id>", href)
	}

	// The browser downloads it as a file, byte for byte.
	downloads := filepath.Join(dir, "downloads")
	if err := os.MkdirAll(downloads, 0o755); err != nil {
		t.Fatal(err)
	}
	webtest.Do(t, ctx, "download it",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
				BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
			})
			return err
		}),
		chromedp.Click(chromedp.CSS("#document-list a.download")))
	got := waitDownload(t, filepath.Join(downloads, "indictment.pdf"), len(content))
	if !bytes.Equal(got, content) {
		t.Fatalf("downloaded %d bytes that differ from the %d uploaded", len(got), len(content))
	}

	// What the download answers with.
	c := env.Client(t, "caseworker@shelter-a")
	resp, err := c.Get(env.URL + href)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, content) {
		t.Fatalf("GET %s: %s, %d bytes", href, resp.Status, len(body))
	}
	for k, want := range map[string]string{"Cache-Control": "no-store", "Content-Disposition": `attachment; filename=indictment.pdf`,
		"Content-Type": "application/pdf", "X-Content-Type-Options": "nosniff"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("download %s = %q, want %q", k, got, want)
		}
	}

	// Another organisation's document, asked for by its id: not found, in
	// the browser as over plain HTTP.
	api := env.API
	cso := api.As(t, "caseworker@cso-c")
	other, err := api.Cases().CreateCase(cso, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
		Coded: &casebridgev1.CodedAttributes{Nationality: "MK", Country: "MK"}}})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := servertest.Upload(cso, api.Conn, &casebridgev1.DocumentMetadata{CaseId: other.GetCase().GetId(),
		DataClass: casebridgev1.DataClass_DATA_CLASS_LEGAL, Title: "theirs", FileName: "theirs.pdf"}, bytes.NewReader(pdfFile(t, 5000)))
	if err != nil {
		t.Fatal(err)
	}
	webtest.Do(t, ctx, "ask for their document", chromedp.Navigate(env.URL+"/documents/"+theirs.GetId()))
	if got := webtest.Text(t, ctx); !strings.Contains(got, "Not found") {
		t.Errorf("another organisation's document shows %q", got)
	}
	resp, err = c.Get(env.URL + "/documents/" + theirs.GetId())
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || bytes.Contains(body, []byte("%PDF")) || resp.Header.Get("Content-Disposition") != "" {
		t.Errorf("another organisation's document: %s, disposition %q", resp.Status, resp.Header.Get("Content-Disposition"))
	}
}

// waitDownload waits for the browser to finish writing path with n bytes
// and returns its content.
func waitDownload(t *testing.T, path string, n int) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && len(b) == n {
			return b
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(filepath.Dir(path))
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Fatalf("no complete download at %s after 30 s (%d bytes, %v); the directory holds %v", path, len(b), err, names)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The upload form's token is read from its first part, not by the usual
// check (which would buffer the whole body): a form without it, with a
// wrong one, with it after the file, or from another site is refused and
// stores nothing; the same form with its token first stores the document.
func TestDocumentUploadChecksItsToken(t *testing.T) {
	env := webtest.Start(t)
	c := env.Client(t, "caseworker@shelter-a")
	id := createCase(t, env, c)
	tok := webtest.FormToken(t, c, env.URL+"/cases/"+id)
	type field struct{ name, value string }
	post := func(fields []field, hdr map[string]string) int {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for _, f := range fields {
			if f.name == "file" {
				w, _ := mw.CreateFormFile("file", "scan.pdf")
				w.Write(pdfFile(t, 3000))
				continue
			}
			mw.WriteField(f.name, f.value)
		}
		mw.Close()
		req, _ := http.NewRequest("POST", env.URL+"/cases/"+id+"/documents", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	form := func(csrf ...field) []field {
		fs := append([]field{}, csrf...)
		return append(fs, field{"data_class", "DATA_CLASS_LEGAL"}, field{"title", "Scan"}, field{"file", ""})
	}
	listed := func() int {
		t.Helper()
		resp, err := casebridgev1.NewDocumentServiceClient(env.API.Conn).ListDocuments(env.API.As(t, "caseworker@shelter-a"),
			&casebridgev1.ListDocumentsRequest{CaseId: id})
		if err != nil {
			t.Fatal(err)
		}
		return len(resp.GetDocuments())
	}
	for _, tc := range []struct {
		name   string
		fields []field
		hdr    map[string]string
	}{
		{"no token", form(), nil},
		{"wrong token", form(field{"csrf", "forged"}), nil},
		{"token after the file", append(form(), field{"csrf", tok}), nil},
		{"from another site", form(field{"csrf", tok}), map[string]string{"Sec-Fetch-Site": "cross-site"}},
	} {
		if got := post(tc.fields, tc.hdr); got != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tc.name, got)
		}
	}
	if n := listed(); n != 0 {
		t.Fatalf("refused uploads stored %d documents", n)
	}
	if got := post(form(field{"csrf", tok}), nil); got != http.StatusOK { // the redirect to the case page, followed
		t.Errorf("with its token first: %d, want 200", got)
	}
	if n := listed(); n != 1 {
		t.Fatalf("the upload with its token stored %d documents, want 1", n)
	}
}
