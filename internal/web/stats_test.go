package web

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/casebridge/casebridge/internal/web/i18n"
	"github.com/casebridge/casebridge/internal/web/locales"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestWithheldCellsRenderTheirReason renders the counts page's table: a
// cell withheld to protect another says so, not that it is small; one the
// audit could not verify says that, not a bare "Withheld"; only a primary
// one is said to be below k.
func TestWithheldCellsRenderTheirReason(t *testing.T) {
	cat, err := i18n.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	q := &Request{Request: httptest.NewRequest("GET", "/stats", nil), L: cat.For(i18n.Languages[0])}
	year := func(v string) []*casebridgev1.DimensionValue {
		return []*casebridgev1.DimensionValue{{Dimension: casebridgev1.Dimension_DIMENSION_YEAR, Value: v}}
	}
	cells := toStatsCells(q, []*casebridgev1.Cell{
		{Values: year("2023"), Count: 12},
		{Values: year("2024"), Suppressed: true, WithheldReason: casebridgev1.WithheldReason_WITHHELD_REASON_PRIMARY},
		{Values: year("2025"), Suppressed: true, WithheldReason: casebridgev1.WithheldReason_WITHHELD_REASON_SECONDARY},
		{Values: year("2026"), Suppressed: true, WithheldReason: casebridgev1.WithheldReason_WITHHELD_REASON_UNVERIFIED},
	})
	d := statsData{By: []casebridgev1.Dimension{casebridgev1.Dimension_DIMENSION_YEAR}, K: 5, Cells: cells}
	var buf bytes.Buffer
	if err := pages["stats"].ExecuteTemplate(&buf, "content", &Page{L: q.L, Data: d}); err != nil {
		t.Fatal(err)
	}
	body := buf.String()
	for _, want := range []string{
		`<td class="withheld" data-withheld="stats.withheld_small">Withheld: fewer than 5</td>`,
		`<td class="withheld" data-withheld="stats.withheld_protects">Withheld: protects another cell</td>`,
		`<td class="withheld" data-withheld="stats.withheld_unverified">Withheld: not verified in time</td>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the table lacks %s:\n%s", want, body)
		}
	}
	if n := strings.Count(body, "fewer than"); n != 1 {
		t.Errorf("%d cells said to be fewer than k, want the primary one only:\n%s", n, body)
	}
}

// TestEveryWithheldReasonHasItsMessage: each reason the API can give has a
// message of its own in every language, and only PRIMARY says the figure
// is below k — SMALL_BASE says it rests on fewer, and may be large.
func TestEveryWithheldReasonHasItsMessage(t *testing.T) {
	cat, err := i18n.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]casebridgev1.WithheldReason{}
	for n := range casebridgev1.WithheldReason_name {
		r := casebridgev1.WithheldReason(n)
		if r == casebridgev1.WithheldReason_WITHHELD_REASON_UNSPECIFIED {
			continue
		}
		key := withheldKey(r)
		if key == "stats.withheld" {
			t.Errorf("%v reads a bare %q", r, key)
		}
		if other, dup := seen[key]; dup {
			t.Errorf("%v and %v share the message %q", r, other, key)
		}
		seen[key] = r
		for _, l := range i18n.Languages {
			if !cat.Has(l, key) {
				t.Errorf("%v: no message %q in %s", r, key, l)
			}
		}
	}
	en := cat.For(i18n.Languages[0])
	if got := en.T(withheldKey(casebridgev1.WithheldReason_WITHHELD_REASON_SMALL_BASE), "K", 5); got != "Withheld: rests on fewer than 5" {
		t.Errorf("a figure resting on few persons reads %q", got)
	}
}
