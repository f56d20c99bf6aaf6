package vault

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestWrapUnwrapRoundTrip(t *testing.T) {
	kr, infos := newTestKeyring(t, 2)
	_, foreign := newTestKeyring(t, 1)

	tests := []struct {
		name       string
		caseID     string
		recipients []string
	}{
		{"single recipient", "case-1", []string{infos[0].Recipient}},
		{"rotation: old and new key", "c7f9a2e4-1b3d-4e5f-8a9b-0c1d2e3f4a5b", []string{infos[0].Recipient, infos[1].Recipient}},
		{"held key is second recipient", "case-2", []string{foreign[0].Recipient, infos[1].Recipient}},
		{"max length case id", strings.Repeat("x", maxCaseIDLen), []string{infos[1].Recipient}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ck := newTestCaseKey(t)
			wrapped, err := WrapCaseKey(ck, tt.caseID, tt.recipients...)
			if err != nil {
				t.Fatalf("WrapCaseKey: %v", err)
			}
			if !bytes.HasPrefix(wrapped, []byte("age-encryption.org/v1\n")) {
				t.Error("wrapped key is not a binary age file")
			}
			if bytes.Contains(wrapped, ck.b[:]) {
				t.Error("wrapped key contains the raw case key")
			}
			got, err := kr.UnwrapCaseKey(wrapped, tt.caseID)
			if err != nil {
				t.Fatalf("UnwrapCaseKey: %v", err)
			}
			if got.b != ck.b {
				t.Error("unwrapped key differs")
			}
		})
	}
}

func TestUnwrapWrongCaseID(t *testing.T) {
	kr, infos := newTestKeyring(t, 1)
	ck := newTestCaseKey(t)
	wrapped, err := WrapCaseKey(ck, "case-1", infos[0].Recipient)
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{"case-2", "case-10", "case-", "Case-1"} {
		got, err := kr.UnwrapCaseKey(wrapped, other)
		if !errors.Is(err, ErrWrongBinding) {
			t.Errorf("UnwrapCaseKey(%q) error = %v, want ErrWrongBinding", other, err)
		}
		if got != nil {
			t.Errorf("UnwrapCaseKey(%q) returned a key", other)
		}
	}
}

func TestUnwrapNoMatchingIdentity(t *testing.T) {
	_, infos := newTestKeyring(t, 1)
	other, _ := newTestKeyring(t, 2)
	empty, _ := newTestKeyring(t, 0)
	ck := newTestCaseKey(t)
	wrapped, err := WrapCaseKey(ck, "case-1", infos[0].Recipient)
	if err != nil {
		t.Fatal(err)
	}
	for name, kr := range map[string]*Keyring{"other organisation": other, "empty keyring": empty} {
		if _, err := kr.UnwrapCaseKey(wrapped, "case-1"); !errors.Is(err, ErrNoKey) {
			t.Errorf("%s: error = %v, want ErrNoKey", name, err)
		}
	}
}

func TestDestroyedKeyCannotUnwrap(t *testing.T) {
	kr, infos := newTestKeyring(t, 2)
	ck := newTestCaseKey(t)
	// Case wrapped only to key 0: destroying it shreds the case.
	shredded, err := WrapCaseKey(ck, "case-erased", infos[0].Recipient)
	if err != nil {
		t.Fatal(err)
	}
	// Case wrapped to both: survives (rotation).
	rotated, err := WrapCaseKey(ck, "case-kept", infos[0].Recipient, infos[1].Recipient)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.UnwrapCaseKey(shredded, "case-erased"); err != nil {
		t.Fatalf("before destroy: %v", err)
	}
	if err := kr.Destroy(infos[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.UnwrapCaseKey(shredded, "case-erased"); !errors.Is(err, ErrNoKey) {
		t.Errorf("after destroy: error = %v, want ErrNoKey", err)
	}
	if _, err := kr.UnwrapCaseKey(rotated, "case-kept"); err != nil {
		t.Errorf("case also wrapped to surviving key: %v", err)
	}

	// The backup scenario: a fresh process loading the key directory cannot
	// read the old wrapped key either.
	reloaded, err := LoadKeyring(kr.dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reloaded.UnwrapCaseKey(shredded, "case-erased"); !errors.Is(err, ErrNoKey) {
		t.Errorf("after reload: error = %v, want ErrNoKey", err)
	}
}

func TestUnwrapCorrupt(t *testing.T) {
	kr, infos := newTestKeyring(t, 1)
	ck := newTestCaseKey(t)
	wrapped, err := WrapCaseKey(ck, "case-1", infos[0].Recipient)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(wrapped)
	flipped[len(flipped)-1] ^= 1
	tests := map[string][]byte{
		"garbage":       []byte("not an age file"),
		"empty":         nil,
		"truncated":     wrapped[:len(wrapped)-5],
		"flipped byte":  flipped,
		"header only":   wrapped[:bytes.Index(wrapped, []byte("\n---"))+1],
		"trailing junk": append(bytes.Clone(wrapped), 0),
	}
	for name, in := range tests {
		if _, err := kr.UnwrapCaseKey(in, "case-1"); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: error = %v, want ErrCorrupt", name, err)
		}
	}
}

func TestWrapCaseKeyRejects(t *testing.T) {
	_, infos := newTestKeyring(t, 1)
	good := newTestCaseKey(t)
	wiped := newTestCaseKey(t)
	wiped.Wipe()

	tests := []struct {
		name       string
		key        *CaseKey
		caseID     string
		recipients []string
		want       error
	}{
		{"nil key", nil, "case-1", []string{infos[0].Recipient}, ErrWipedKey},
		{"wiped key", wiped, "case-1", []string{infos[0].Recipient}, ErrWipedKey},
		{"empty case id", good, "", []string{infos[0].Recipient}, ErrInvalidCaseID},
		{"newline in case id", good, "case-1\nx", []string{infos[0].Recipient}, ErrInvalidCaseID},
		{"space in case id", good, "case 1", []string{infos[0].Recipient}, ErrInvalidCaseID},
		{"too long case id", good, strings.Repeat("x", maxCaseIDLen+1), []string{infos[0].Recipient}, ErrInvalidCaseID},
		{"no recipients", good, "case-1", nil, nil},
		{"bad recipient", good, "case-1", []string{"age1notakey"}, nil},
		{"secret key as recipient", good, "case-1", []string{"AGE-SECRET-KEY-1QQQ"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := WrapCaseKey(tt.key, tt.caseID, tt.recipients...)
			if err == nil {
				t.Fatal("WrapCaseKey succeeded, want error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCaseKeyWipeAndRedaction(t *testing.T) {
	k := newTestCaseKey(t)
	if k.b == [32]byte{} {
		t.Fatal("new case key is all zero")
	}
	other := newTestCaseKey(t)
	if other.b == k.b {
		t.Fatal("two new case keys are equal")
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%x", "%X", "%d", "%s", "%q"} {
		for _, v := range []any{k, *k} {
			if s := fmt.Sprintf(verb, v); s != "vault.CaseKey(redacted)" {
				t.Errorf("Sprintf(%q) = %q, want redacted", verb, s)
			}
		}
	}
	k.Wipe()
	if k.b != [32]byte{} {
		t.Error("Wipe left key bytes")
	}
	var nilKey *CaseKey
	nilKey.Wipe() // must not panic
}
