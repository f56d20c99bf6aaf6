package vault

import (
	"errors"
	"testing"

	"github.com/casebridge/casebridge/internal/dataclass"
)

// TestColumnBindingsArePinned: every value ever stored is bound to its
// column's binding, so changing one would make them all unreadable.
func TestColumnBindingsArePinned(t *testing.T) {
	for _, tt := range []struct {
		col  *Column
		want string
	}{
		{CaseSecrets, "c1"},
		{CaseNotes, "c1/notes/r1"},
		{HearingNotes, "c1/hearings/r1"},
	} {
		if got := tt.col.Binding("c1", "r1"); got != tt.want {
			t.Errorf("%s binding = %q, want %q", tt.col, got, tt.want)
		}
	}
	seen := map[string]*Column{}
	for _, c := range Columns() {
		if c.Binding("c1", "r1") == "c1" && c != CaseSecrets {
			t.Errorf("%s binds to the case alone", c)
		}
		if prev, ok := seen[c.Binding("c1", "r1")]; ok {
			t.Errorf("%s and %s share a binding", prev, c)
		}
		seen[c.Binding("c1", "r1")] = c
		if LookupColumn(c.Table(), c.Value()) != c {
			t.Errorf("LookupColumn(%s) does not find it", c)
		}
	}
}

// TestColumnSealOpen: a value opens only for its own column, row and
// class; a column with one class refuses any other.
func TestColumnSealOpen(t *testing.T) {
	key := newTestCaseKey(t)
	ct, err := HearingNotes.Seal(key, "case-1", "h1", dataclass.Legal, []byte("testimony postponed"))
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := HearingNotes.Open(key, "case-1", "h1", dataclass.Legal, ct); err != nil || string(pt) != "testimony postponed" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	if _, err := HearingNotes.Open(key, "case-1", "h2", dataclass.Legal, ct); !errors.Is(err, ErrWrongBinding) {
		t.Errorf("another row opened it: %v", err)
	}
	if _, err := CaseNotes.Open(key, "case-1", "h1", dataclass.Legal, ct); !errors.Is(err, ErrWrongBinding) {
		t.Errorf("another column opened it: %v", err)
	}
	if _, err := HearingNotes.Seal(key, "case-1", "h1", dataclass.Care, []byte("x")); !errors.Is(err, ErrInvalidClass) {
		t.Errorf("sealing a care value into a legal column: %v", err)
	}
	ct, err = CaseNotes.Seal(key, "case-1", "n1", dataclass.Care, []byte("note"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CaseNotes.Open(key, "case-1", "n1", dataclass.Contact, ct); !errors.Is(err, ErrWrongBinding) {
		t.Errorf("a care note opened as contact: %v", err)
	}
}
