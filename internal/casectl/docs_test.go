package casectl

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsUploadListDownload: a file uploaded with casectl is listed and
// downloaded byte for byte, with a progress bar on a terminal only; a
// download of a document whose content fails its integrity check leaves no
// file, and an upload whose bytes are not an accepted type is refused
// whatever its name.
func TestDocsUploadListDownload(t *testing.T) {
	s := newSession(t)
	caseID := s.server.NewMarkedCase(t)
	s.login("caseworker@shelter-a")
	dir := t.TempDir()
	content := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("evidence of the recruitment, page after page\n"), 40_000)...)
	in := filepath.Join(dir, "evidence.pdf")
	if err := os.WriteFile(in, content, 0o600); err != nil {
		t.Fatal(err)
	}
	o := s.run("", true, "docs", "upload", caseID, in, "--class", "legal", "--title", "Recruitment evidence", "--kind", "evidence", "--date", "2025-02-01")
	if o.code != 0 || !strings.Contains(o.stderr, "\ruploading [") || !strings.Contains(o.stdout, "application/pdf") {
		t.Fatalf("docs upload: %+v", o)
	}
	o = s.run("", false, "docs", "list", caseID, "--output", "csv")
	if o.code != 0 || !strings.Contains(o.stdout, "Recruitment evidence") || !strings.Contains(o.stdout, "evidence.pdf") {
		t.Fatalf("docs list: %+v", o)
	}
	lines := strings.Split(strings.TrimSpace(o.stdout), "\n")
	cells := strings.Split(lines[len(lines)-1], ",")
	id := cells[len(cells)-1]

	out := filepath.Join(dir, "back.pdf")
	o = s.run("", false, "docs", "download", id, "--out", out)
	if o.code != 0 || strings.Contains(o.stderr, "downloading [") {
		t.Fatalf("docs download: %+v", o)
	}
	back, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(back, content) {
		t.Fatalf("downloaded %d bytes (%v), want the %d uploaded", len(back), err, len(content))
	}
	if o := s.run("", false, "docs", "download", id, "--out", out); o.code != 1 || !strings.Contains(o.stderr, "exists") {
		t.Fatalf("download over an existing file: %+v", o)
	}

	// Cut the stored ciphertext short: the download fails and writes nothing.
	if _, err := s.server.Pool.Exec(t.Context(), `UPDATE blob_chunks c SET data = substring(c.data from 1 for 1000)
		FROM blob_objects o, documents d WHERE d.id = $1 AND o.id = d.object_id AND c.blob = o.blob AND c.seq = 0`, id); err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pdf")
	if o := s.run("", false, "docs", "download", id, "--out", cut); o.code != 1 {
		t.Fatalf("download of a cut document: %+v", o)
	}
	if _, err := os.Stat(cut); !os.IsNotExist(err) {
		t.Fatalf("a failed download left %s (%v)", cut, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".casectl-download-") {
			t.Errorf("a failed download left %s", e.Name())
		}
	}

	exe := filepath.Join(dir, "scan.pdf")
	if err := os.WriteFile(exe, append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), make([]byte, 2000)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if o := s.run("", false, "docs", "upload", caseID, exe, "--class", "legal"); o.code != 1 || !strings.Contains(o.stderr, "not accepted") {
		t.Fatalf("upload of an executable named .pdf: %+v", o)
	}
}
