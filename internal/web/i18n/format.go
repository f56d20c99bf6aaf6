package i18n

import (
	"fmt"
	"math"
	"time"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// Formatter writes numbers, money and dates the way a language writes them.
// Numbers and currencies come from x/text's CLDR tables; date patterns are
// messages of the catalogue (format.date, format.datetime), as Go layouts,
// since x/text has no date formatting.
type Formatter struct {
	p        *message.Printer
	date, dt string
	Location *time.Location
}

func newFormatter(lang language.Tag, c *Catalogue, _ language.Tag) Formatter {
	f := Formatter{p: message.NewPrinter(lang), date: "2006-01-02", dt: "2006-01-02 15:04", Location: time.Local}
	if l := goLayout(c, lang, "format.date"); l != "" {
		f.date = l
	}
	if l := goLayout(c, lang, "format.datetime"); l != "" {
		f.dt = l
	}
	return f
}

func goLayout(c *Catalogue, lang language.Tag, id string) string {
	if !c.keys[lang][id] {
		return ""
	}
	l := &Localizer{Tag: lang, c: c}
	l.loc = newGoLocalizer(c, lang)
	return l.T(id)
}

// In returns the formatter showing times in loc.
func (f Formatter) In(loc *time.Location) Formatter {
	f.Location = loc
	return f
}

// Int writes n with the language's digit grouping (1,234 / 1.234).
func (f Formatter) Int(n int64) string { return f.p.Sprint(number.Decimal(n)) }

// Money writes an amount in minor units of an ISO 4217 currency, e.g.
// "€ 1.234,50" in Serbian; an unknown currency code is written after the
// plain number.
func (f Formatter) Money(minor int64, code string) string {
	unit, err := currency.ParseISO(code)
	if err != nil {
		return fmt.Sprintf("%s %s", f.Int(minor), code)
	}
	scale, _ := currency.Standard.Rounding(unit)
	amount := float64(minor) / math.Pow10(scale)
	return f.p.Sprint(currency.Symbol(unit.Amount(amount)))
}

// Date writes t's calendar day in the formatter's zone; the zero time is "".
func (f Formatter) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(f.Location).Format(f.date)
}

// DateTime writes t to the minute in the formatter's zone; the zero time is "".
func (f Formatter) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(f.Location).Format(f.dt)
}
