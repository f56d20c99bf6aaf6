package cases_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

var markers = []string{"Marker-Given-7731", "Marker-Family-7731", "+381-60-0007731", "Marker-Location-7731",
	"Marker-Health-7731", "Marker-Account-7731", "Marker-Note-7731"}

// pgDump runs the real pg_dump against the test database.
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
	if !bytes.Contains(out, []byte("CREATE TABLE public.case_secrets")) {
		t.Fatal("pg_dump output does not look like the database")
	}
	return out
}

// TestDumpHoldsNoPlaintext: a stolen pg_dump shows neither a sensitive
// value nor a private key.
func TestDumpHoldsNoPlaintext(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	ctx := env.As(t, caseworker)
	for range 3 {
		c, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: newCase()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cs.AddNote(ctx, &casebridgev1.AddNoteRequest{CaseId: c.GetCase().GetId(),
			DataClass: casebridgev1.DataClass_DATA_CLASS_CONTACT, Text: "Marker-Note-7731"}); err != nil {
			t.Fatal(err)
		}
	}
	dump := pgDump(t, env.DBURL)
	for _, m := range markers {
		if bytes.Contains(dump, []byte(m)) {
			t.Errorf("pg_dump contains the plaintext %q", m)
		}
	}
	if bytes.Contains(dump, []byte("AGE-SECRET-KEY-")) {
		t.Error("pg_dump contains an age private key")
	}
	var n int
	if err := env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM case_secrets`).Scan(&n); err != nil || n != 12 {
		t.Fatalf("want 12 sealed classes stored, got %d (%v)", n, err)
	}
}

// TestErasureReachesOldBackups: a backup taken before an erasure cannot be
// decrypted afterwards with any key the server still holds, while the other
// cases stay readable.
func TestErasureReachesOldBackups(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	ctx := env.As(t, caseworker)
	victim, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: newCase()})
	if err != nil {
		t.Fatal(err)
	}
	other, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: newCase()})
	if err != nil {
		t.Fatal(err)
	}
	id := victim.GetCase().GetId()
	// The "backup": the real dump, and the wrapped case key as the dump holds it.
	_ = pgDump(t, env.DBURL)
	var wrapped []byte
	if err := env.Pool.QueryRow(context.Background(), `SELECT wrapped FROM case_keys WHERE case_id = $1`, id).Scan(&wrapped); err != nil {
		t.Fatal(err)
	}
	keyringDir := filepath.Join(env.DataDir, "keys")
	before, err := vault.LoadKeyring(keyringDir)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := before.UnwrapCaseKey(wrapped, id); err != nil {
		t.Fatalf("before erasure the backup must be readable: %v", err)
	} else {
		k.Wipe()
	}

	erased, err := cs.EraseCase(env.As(t, supervisor), &casebridgev1.EraseCaseRequest{Id: id, Reason: "the person asked for erasure"})
	if err != nil {
		t.Fatal(err)
	}
	if !erased.GetCase().GetErased() || len(erased.GetCase().GetRedactedClasses()) != 0 {
		t.Fatalf("erased case: %v", erased.GetCase())
	}
	waitRotationsDone(t, env)

	after, err := vault.LoadKeyring(keyringDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := after.UnwrapCaseKey(wrapped, id); !errors.Is(err, vault.ErrNoKey) {
		t.Fatalf("after erasure the backup's case key must be undecryptable, got %v", err)
	}
	var left int
	if err := env.Pool.QueryRow(context.Background(),
		`SELECT (SELECT count(*) FROM case_secrets WHERE case_id = $1) + (SELECT count(*) FROM case_keys WHERE case_id = $1)`, id).Scan(&left); err != nil || left != 0 {
		t.Fatalf("erased case still has %d secret or key rows (%v)", left, err)
	}
	got, err := cs.GetCase(ctx, &casebridgev1.GetCaseRequest{Id: other.GetCase().GetId()})
	if err != nil || got.GetCase().GetIdentity().GetGivenNames() != "Marker-Given-7731" {
		t.Fatalf("another case is no longer readable after the rotation: %v", err)
	}
	gotErased, err := cs.GetCase(ctx, &casebridgev1.GetCaseRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	if gotErased.GetCase().GetIdentity() != nil || gotErased.GetCase().GetCoded().GetNationality() != "UA" {
		t.Fatalf("erased case keeps coded attributes only: %v", gotErased.GetCase())
	}
	_, err = cs.UpdateCase(ctx, &casebridgev1.UpdateCaseRequest{Case: &casebridgev1.Case{Id: id}, Etag: gotErased.GetCase().GetEtag(),
		UpdateMask: fieldMask("identity")})
	wantCode(t, err, codes.FailedPrecondition)
}

func waitRotationsDone(t *testing.T, env *servertest.Env) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var running int
		if err := env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM key_rotations WHERE state <> 2`).Scan(&running); err != nil {
			t.Fatal(err)
		}
		var total int
		_ = env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM key_rotations`).Scan(&total)
		if running == 0 && total > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("key rotation after erasure did not finish")
}

// TestSwappedCiphertextsFailToDecrypt: ciphertexts moved between cases or
// classes with SQL make reads fail, never return the other person's data.
func TestSwappedCiphertextsFailToDecrypt(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	ctx := env.As(t, caseworker)
	a, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: newCase()})
	if err != nil {
		t.Fatal(err)
	}
	bCase := newCase()
	bCase.Identity.GivenNames = "Other-Person-5521"
	b, err := cs.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: bCase})
	if err != nil {
		t.Fatal(err)
	}
	idA, idB := a.GetCase().GetId(), b.GetCase().GetId()
	// Swap the identity ciphertexts of the two cases.
	if _, err := env.Pool.Exec(context.Background(), `
		UPDATE case_secrets s SET ciphertext = o.ciphertext
		FROM case_secrets o
		WHERE s.class = 1 AND o.class = 1 AND ((s.case_id = $1 AND o.case_id = $2) OR (s.case_id = $2 AND o.case_id = $1))`, idA, idB); err != nil {
		t.Fatal(err)
	}
	_, err = cs.GetCase(ctx, &casebridgev1.GetCaseRequest{Id: idA})
	st := wantCode(t, err, codes.DataLoss)
	if bytes.Contains([]byte(st.Message()), []byte("Other-Person")) {
		t.Fatal("the error leaks the other person's data")
	}
	// Move the contact ciphertext into the care slot of the same case.
	if _, err := env.Pool.Exec(context.Background(), `
		UPDATE case_secrets SET ciphertext = (SELECT ciphertext FROM case_secrets WHERE case_id = $1 AND class = 2)
		WHERE case_id = $1 AND class = 3`, idB); err != nil {
		t.Fatal(err)
	}
	_, err = cs.GetCase(ctx, &casebridgev1.GetCaseRequest{Id: idB})
	wantCode(t, err, codes.DataLoss)
	// The basic view needs no decryption and still works.
	if _, err := cs.GetCase(ctx, &casebridgev1.GetCaseRequest{Id: idA, View: casebridgev1.CaseView_CASE_VIEW_BASIC}); err != nil {
		t.Fatalf("basic view: %v", err)
	}
}
