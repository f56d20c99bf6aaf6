package audit

import (
	"slices"
	"testing"

	"github.com/casebridge/casebridge/internal/dataclass"
)

// TestReadSetMergesClassesPerCase: a list answer that returns several items
// of one case records one read of it, naming every class any of its items
// returned — a case whose first item carries no sensitive class and whose
// second does is recorded with that class — for the organisation it was
// first read for.
func TestReadSetMergesClassesPerCase(t *testing.T) {
	var s ReadSet
	s.Add("legal-b", "c1", nil)
	s.Add("legal-b", "c2", []dataclass.Class{"legal"})
	s.Add("shelter-a", "c1", []dataclass.Class{"legal"})
	s.Add("legal-b", "c1", []dataclass.Class{"legal"})
	s.Add("legal-b", "c2", nil)
	got := s.Reads()
	if len(got) != 2 {
		t.Fatalf("reads %v, want one per case", got)
	}
	if got[0].CaseID != "c1" || got[0].Org != "legal-b" || !slices.Equal(got[0].Classes, []dataclass.Class{"legal"}) {
		t.Fatalf("case c1 read as %+v", got[0])
	}
	if got[1].CaseID != "c2" || !slices.Equal(got[1].Classes, []dataclass.Class{"legal"}) {
		t.Fatalf("case c2 read as %+v", got[1])
	}
}
