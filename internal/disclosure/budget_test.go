package disclosure

import (
	"testing"
	"time"
)

// TestExhaustedAuditWithholdsMore: an audit that runs out of its budget
// withholds every cell it had not withheld (as Unverified, which says
// nothing of a cell's size), keeps the grand total and the reasons of the
// cells withheld before, and says so in its report.
func TestExhaustedAuditWithholdsMore(t *testing.T) {
	groups := []Group{
		{Count: 40, Values: [][]string{{"RS"}, {"female"}}},
		{Count: 30, Values: [][]string{{"RS"}, {"male"}}},
		{Count: 2, Values: [][]string{{"MK"}, {"female"}}},
		{Count: 25, Values: [][]string{{"MK"}, {"male"}}},
		{Count: 20, Values: [][]string{{"AL"}, {"female"}}},
		{Count: 22, Values: [][]string{{"AL"}, {"male"}}},
	}
	full, err := Protect(groups, Options{K: 5, Dims: 2})
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]Reason{}
	for _, c := range full.Cells {
		before[key(c)] = c.Reason
	}
	if full.Audit.Exhausted {
		t.Fatal("an audit with the default budget ran out on a six-cell table")
	}
	tab, err := Protect(groups, Options{K: 5, Dims: 2, AuditBudget: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if !tab.Audit.Exhausted {
		t.Fatal("the report does not say the audit ran out")
	}
	if total := tab.Total(); total.Suppressed || total.Count != 139 {
		t.Fatalf("grand total %+v, want 139 published", total)
	}
	for _, c := range tab.Cells[1:] {
		if !c.Suppressed {
			t.Errorf("cell %s published by an audit that did not finish", key(c))
			continue
		}
		want := before[key(c)]
		if want == Published {
			want = Unverified
		}
		if c.Reason != want {
			t.Errorf("cell %s withheld as %v, want %v", key(c), c.Reason, want)
		}
		if c.Reason == Unverified && c.Reason.Primary() {
			t.Errorf("an unverified cell is called primary: it says nothing of its size")
		}
	}
}
