package i18n_test

import (
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/casebridge/casebridge/internal/web/i18n"
	"github.com/casebridge/casebridge/internal/web/locales"
)

func load(t *testing.T) *i18n.Catalogue {
	t.Helper()
	c, err := i18n.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every message is in every language: a key added in one language only
// fails here, naming the key and the language that lacks it.
func TestEveryKeyInEveryLanguage(t *testing.T) {
	c := load(t)
	all := map[string]bool{}
	for _, l := range i18n.Languages {
		for _, k := range c.Keys(l) {
			all[k] = true
		}
	}
	if len(all) < 50 {
		t.Fatalf("only %d messages: the catalogue did not load", len(all))
	}
	for _, l := range i18n.Languages {
		for k := range all {
			if !c.Has(l, k) {
				t.Errorf("message %q is missing in %s", k, l)
			}
		}
	}
}

func TestNegotiate(t *testing.T) {
	c := load(t)
	for _, tc := range []struct{ choice, accept, want string }{
		{"", "", "en"},
		{"", "sq-AL,sq;q=0.9,en;q=0.5", "sq"},
		{"", "mk", "mk"},
		{"", "sr-RS", "sr-Latn"},
		{"", "sr-Cyrl-RS,en;q=0.5", "sr-Latn"},
		{"", "de-DE,mk;q=0.8", "mk"},
		{"", "de-DE,fr;q=0.8", "en"},
		{"mk", "sq", "mk"},
		{"xx-bogus", "sq", "sq"},
		{"", "garbage;;;", "en"},
	} {
		if got := c.Negotiate(tc.choice, tc.accept).String(); got != tc.want {
			t.Errorf("Negotiate(%q, %q) = %s, want %s", tc.choice, tc.accept, got, tc.want)
		}
	}
}

// A missing message shows as ⟦key⟧, never in another language.
func TestMissingMessageIsMarked(t *testing.T) {
	l := load(t).For(language.Albanian)
	if got := l.T("no.such.key"); got != "⟦no.such.key⟧" {
		t.Errorf("missing key renders %q", got)
	}
	if got := l.T("layout.signout"); got != "Dil" {
		t.Errorf("layout.signout in sq = %q", got)
	}
}

func TestFormatting(t *testing.T) {
	c := load(t)
	day := time.Date(2026, 3, 7, 9, 5, 0, 0, time.UTC)
	for _, tc := range []struct {
		lang       language.Tag
		n          int64
		num, money string
		date       string
	}{
		{language.English, 1234567, "1,234,567", "€ 1,234.50", "07 Mar 2026"},
		{language.MustParse("sr-Latn"), 1234567, "1.234.567", "€ 1.234,50", "07.03.2026."},
		{language.Macedonian, 1234567, "1.234.567", "€ 1.234,50", "07.03.2026"},
	} {
		f := c.For(tc.lang).Form.In(time.UTC)
		if got := f.Int(tc.n); got != tc.num {
			t.Errorf("%s: Int = %q, want %q", tc.lang, got, tc.num)
		}
		if got := f.Money(123450, "EUR"); got != tc.money {
			t.Errorf("%s: Money = %q, want %q", tc.lang, got, tc.money)
		}
		if got := f.Date(day); got != tc.date {
			t.Errorf("%s: Date = %q, want %q", tc.lang, got, tc.date)
		}
	}
}
