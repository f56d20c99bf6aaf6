package servercli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/chacha20poly1305"
	"google.golang.org/protobuf/proto"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestRecoverExportCaseFromADump: a backup restored into a database with
// no server running; 'recover export-case' writes the case's every sealed
// value, opened, and records in that database's audit log the case, the
// classes and the coded reason, never the data. Without a reason nothing
// is exported or recorded. An independent reader written from
// docs/sealed-format.md (not the server's code) opens the same values.
func TestRecoverExportCaseFromADump(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	sealed := env.SealedCase(t)
	from, keyringFrom := backupOf(t, env.DBURL, env.DataDir)
	target := otherDatabase(t, env.DBURL)
	keyring := filepath.Join(restoreInto(t, from, keyringFrom, target), "keys")
	env.Stop(t) // nothing serves from here on

	out := filepath.Join(t.TempDir(), "case.json")
	args := []string{"recover", "export-case", "--database-url", target, "--keyring-dir", keyring, "--case", sealed.CaseID,
		"--operator", "nina@nrm.example", "--out", out}
	if code, _, stderr := run(t, args...); code != exitFailed || !strings.Contains(stderr, "--reason") {
		t.Fatalf("export without a reason: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("export without a reason wrote %s", out)
	}
	code, _, stderr := run(t, append(args, "--reason", "court-order")...)
	if code != 0 {
		t.Fatalf("export: exit %d, %s", code, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Errorf("the export is mode %v, want 0600", fi.Mode().Perm())
	}
	for _, m := range servertest.Markers {
		if !bytes.Contains(data, []byte(m)) {
			t.Errorf("the export lacks %s", m)
		}
	}
	var doc struct {
		Format          string                     `json:"format"`
		Case            map[string]any             `json:"case"`
		Classes         map[string]json.RawMessage `json:"classes"`
		Records         map[string][]map[string]any
		ExportedClasses []string `json:"exported_classes"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Format != "casebridge-case-export/v1" || doc.Case["id"] != sealed.CaseID || len(doc.Records["proceedings"]) != 1 ||
		!slices.Equal(doc.ExportedClasses, []string{"care", "identity", "legal"}) {
		t.Fatalf("export document: format %q, case %v, classes %v, records %v", doc.Format, doc.Case["id"], doc.ExportedClasses, keysOf(doc.Records))
	}

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var subject, org string
	var classes, details []string
	err = conn.QueryRow(ctx, `SELECT subject, organization_id, classes, details FROM audit_events
		WHERE method = 'casebridged/RecoverExportCase' AND case_id = $1`, sealed.CaseID).Scan(&subject, &org, &classes, &details)
	if err != nil || subject != "nina@nrm.example" || org != "shelter-a" || !slices.Equal(classes, []string{"care", "identity", "legal"}) ||
		!slices.Equal(details, []string{"reason=court_order"}) {
		t.Fatalf("the export's audit event: %s %s %v %v, %v (one, and only after a reason was given)", subject, org, classes, details, err)
	}
	var leaked int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE to_jsonb(audit_events)::text LIKE '%Marker-%'`).Scan(&leaked); err != nil || leaked != 0 {
		t.Fatalf("audit events holding exported data: %d, %v", leaked, err)
	}

	// The format specification, followed by hand.
	caseKey := specUnwrapCaseKey(t, conn, keyring, sealed.CaseID)
	var ct []byte
	if err := conn.QueryRow(ctx, `SELECT ciphertext FROM case_secrets WHERE case_id = $1 AND class = 1`, sealed.CaseID).Scan(&ct); err != nil {
		t.Fatal(err)
	}
	var identity casebridgev1.IdentityData
	if err := proto.Unmarshal(specOpen(t, caseKey, sealed.CaseID, "identity", ct), &identity); err != nil || identity.GetGivenNames() != servertest.MarkGiven {
		t.Fatalf("identity class opened by the specification: %v, %v", identity.GetGivenNames(), err)
	}
	if err := conn.QueryRow(ctx, `SELECT texts FROM proceedings WHERE id = $1`, sealed.Proceeding).Scan(&ct); err != nil {
		t.Fatal(err)
	}
	var texts map[string]any
	plain := specOpen(t, caseKey, sealed.CaseID+"/proceedings.texts/"+sealed.Proceeding, "legal", ct)
	if err := json.Unmarshal(plain, &texts); err != nil || texts["court"] != servertest.MarkCourt {
		t.Fatalf("proceeding texts opened by the specification: %s, %v", plain, err)
	}
	if got := doc.Records["proceedings"][0]["texts"].(map[string]any)["court"]; got != texts["court"] {
		t.Fatalf("the export says court %v, the specification %v", got, texts["court"])
	}
}

func keysOf(m map[string][]map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// specUnwrapCaseKey opens the case's wrapped key as the specification
// says: an age file to an organisation's X25519 key (the key file's one
// AGE-SECRET-KEY line), whose payload is "casebridge-casekey-v1\n", the
// case id, "\n" and the 32 key bytes.
func specUnwrapCaseKey(t *testing.T, conn *pgx.Conn, keyringDir, caseID string) []byte {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT key_id, wrapped FROM case_keys WHERE case_id = $1`, caseID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var keyID string
		var wrapped []byte
		if err := rows.Scan(&keyID, &wrapped); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(filepath.Join(keyringDir, keyID+".agekey"))
		if err != nil {
			continue
		}
		var line string
		for sc := bufio.NewScanner(f); sc.Scan(); {
			if strings.HasPrefix(sc.Text(), "AGE-SECRET-KEY-1") {
				line = sc.Text()
			}
		}
		f.Close()
		id, err := age.ParseX25519Identity(line)
		if err != nil {
			t.Fatal(err)
		}
		r, err := age.Decrypt(bytes.NewReader(wrapped), id)
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := io.ReadAll(r)
		rest, ok := bytes.CutPrefix(payload, []byte("casebridge-casekey-v1\n"+caseID+"\n"))
		if !ok || len(rest) != 32 {
			t.Fatalf("wrapped case key payload is not as specified (%d bytes)", len(payload))
		}
		return rest
	}
	t.Fatal("no wrapped key of the case opens with the keyring")
	return nil
}

// specOpen opens a sealed value as the specification says: an age file
// with one casebridge-casekey stanza whose arguments are the binding and
// the class, its body a 24-byte nonce and the file key sealed with
// XChaCha20-Poly1305 under HKDF-SHA-256(case key, no salt, "casebridge
// field key v1"), associated data "casebridge-casekey" 0x00 binding 0x00
// class.
func specOpen(t *testing.T, caseKey []byte, binding, class string, ct []byte) []byte {
	t.Helper()
	r, err := age.Decrypt(bytes.NewReader(ct), specIdentity{key: caseKey, binding: binding, class: class})
	if err != nil {
		t.Fatalf("open %s (%s) by the specification: %v", binding, class, err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

type specIdentity struct {
	key            []byte
	binding, class string
}

func (s specIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if len(stanzas) != 1 || stanzas[0].Type != "casebridge-casekey" || len(stanzas[0].Args) != 2 ||
		stanzas[0].Args[0] != s.binding || stanzas[0].Args[1] != s.class || len(stanzas[0].Body) != 24+16+16 {
		return nil, age.ErrIncorrectIdentity
	}
	wk, err := hkdf.Key(sha256.New, s.key, nil, "casebridge field key v1", 32)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(wk)
	if err != nil {
		return nil, err
	}
	body := stanzas[0].Body
	return aead.Open(nil, body[:24], body[24:], []byte("casebridge-casekey\x00"+s.binding+"\x00"+s.class))
}
