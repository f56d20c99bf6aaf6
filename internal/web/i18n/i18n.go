// Package i18n gives the web client its languages: the message catalogues
// (go-i18n, one TOML file per area and language under internal/web/locales),
// the choice of a language from the browser's Accept-Language or the user's
// switch, and the formatting of numbers, money and dates for that language.
//
// A message missing from the chosen language is never shown in another one:
// it renders as ⟦key⟧, so that the browser tests find it, and the catalogue
// test refuses a key missing in any language before it gets that far.
package i18n

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Languages are the languages the client speaks, the default first. Serbian
// is written in Latin script, as the region's organisations write it.
var Languages = []language.Tag{
	language.English,
	language.MustParse("sr-Latn"),
	language.Albanian,
	language.Macedonian,
}

// Missing is how a message absent from the chosen language renders: the
// browser tests look for its opening bracket.
const Missing = "⟦%s⟧"

// Catalogue is every message of every language.
type Catalogue struct {
	bundle  *goi18n.Bundle
	matcher language.Matcher
	// keys[lang] is the set of message ids of that language.
	keys map[language.Tag]map[string]bool
	locs map[language.Tag]*Localizer
}

// Load reads every <area>.<lang>.toml file at the top of fsys. A file for a
// language the client does not speak is an error, so a misnamed file is
// found at once rather than silently ignored.
func Load(fsys fs.FS) (*Catalogue, error) {
	b := goi18n.NewBundle(Languages[0])
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalogue{bundle: b, matcher: language.NewMatcher(Languages), keys: map[language.Tag]map[string]bool{}}
	for _, t := range Languages {
		c.keys[t] = map[string]bool{}
	}
	files, err := fs.Glob(fsys, "*.toml")
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("i18n: no catalogue files")
	}
	for _, name := range files {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		mf, err := b.ParseMessageFileBytes(data, path.Base(name))
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		keys, ok := c.keys[mf.Tag]
		if !ok {
			return nil, fmt.Errorf("i18n: %s: language %s is not one of %v", name, mf.Tag, Languages)
		}
		for _, m := range mf.Messages {
			if keys[m.ID] {
				return nil, fmt.Errorf("i18n: %s: message %q is defined twice for %s", name, m.ID, mf.Tag)
			}
			keys[m.ID] = true
		}
	}
	c.locs = make(map[language.Tag]*Localizer, len(Languages))
	for _, t := range Languages {
		c.locs[t] = &Localizer{Tag: t, c: c, loc: newGoLocalizer(c, t), Form: newFormatter(t, c, t)}
	}
	return c, nil
}

// Keys returns the message ids of lang, sorted.
func (c *Catalogue) Keys(lang language.Tag) []string {
	out := make([]string, 0, len(c.keys[lang]))
	for k := range c.keys[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has says whether lang has a message id.
func (c *Catalogue) Has(lang language.Tag, id string) bool { return c.keys[lang][id] }

// Negotiate picks the language to speak: the user's explicit choice when it
// is one of ours, else the best match of the Accept-Language header, else
// English. Serbian in any script or region is answered in Latin script.
func (c *Catalogue) Negotiate(choice, acceptLanguage string) language.Tag {
	if choice != "" {
		if t, ok := Supported(choice); ok {
			return t
		}
	}
	prefs, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(prefs) == 0 {
		return Languages[0]
	}
	for _, p := range prefs {
		// The matcher would rank a Cyrillic Serbian preference below
		// English; a Serbian reader reads the Latin script.
		if base, _ := p.Base(); base.String() == "sr" {
			return Languages[1]
		}
		if _, idx, conf := c.matcher.Match(p); conf >= language.High {
			return Languages[idx]
		}
	}
	return Languages[0]
}

// Supported returns the language named by s (a BCP 47 tag such as "sq" or
// "sr-Latn") if the client speaks it.
func Supported(s string) (language.Tag, bool) {
	t, err := language.Parse(s)
	if err != nil {
		return language.Und, false
	}
	for _, l := range Languages {
		if l == t {
			return l, true
		}
	}
	return language.Und, false
}

// Localizer speaks one language.
type Localizer struct {
	Tag  language.Tag
	c    *Catalogue
	loc  *goi18n.Localizer
	Form Formatter
}

// For returns the localizer of lang; a language the client does not speak
// gets English.
func (c *Catalogue) For(lang language.Tag) *Localizer {
	if l, ok := c.locs[lang]; ok {
		return l
	}
	return c.locs[Languages[0]]
}

func newGoLocalizer(c *Catalogue, lang language.Tag) *goi18n.Localizer {
	return goi18n.NewLocalizer(c.bundle, lang.String())
}

// T returns the message id, filled with data (alternating names and
// values: T("cases.count", "N", 3)). A "Count" value chooses the plural form.
func (l *Localizer) T(id string, data ...any) string {
	if !l.c.keys[l.Tag][id] {
		return fmt.Sprintf(Missing, id)
	}
	cfg := &goi18n.LocalizeConfig{MessageID: id}
	if len(data) > 0 {
		m := make(map[string]any, len(data)/2)
		for i := 0; i+1 < len(data); i += 2 {
			k := fmt.Sprint(data[i])
			m[k] = data[i+1]
			if k == "Count" {
				cfg.PluralCount = data[i+1]
			}
		}
		cfg.TemplateData = m
	}
	s, err := l.loc.Localize(cfg)
	if err != nil {
		return fmt.Sprintf(Missing, id)
	}
	return s
}

// Has says whether the localizer's language has id.
func (l *Localizer) Has(id string) bool { return l.c.keys[l.Tag][id] }

// Enum is the label of a proto enum value by its name, e.g.
// Enum("CASE_STATUS_OPEN") is message "enum.CASE_STATUS_OPEN".
func (l *Localizer) Enum(name string) string { return l.T(EnumKey(name)) }

// EnumKey is the message id of an enum value's label.
func EnumKey(name string) string { return "enum." + strings.TrimSpace(name) }
