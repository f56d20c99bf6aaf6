package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/casebridge/casebridge/internal/web/i18n"
	"github.com/casebridge/casebridge/internal/web/session"
	"golang.org/x/text/language"
	"google.golang.org/protobuf/types/known/timestamppb"
)

//go:embed templates
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// parsePages builds one template set per page: templates/layout.html, every
// partial under templates/parts and templates/signin, and the page's own
// file under templates/pages (named by its base name, e.g. "cases").
func parsePages() (map[string]*template.Template, error) {
	base := template.New("layout.html").Funcs(funcs)
	if _, err := base.ParseFS(templateFS, "templates/layout.html"); err != nil {
		return nil, err
	}
	for _, dir := range []string{"templates/parts/*.html", "templates/signin/*.html"} {
		if m, _ := fs.Glob(templateFS, dir); len(m) > 0 {
			if _, err := base.ParseFS(templateFS, dir); err != nil {
				return nil, err
			}
		}
	}
	files, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	pages := make(map[string]*template.Template, len(files))
	for _, f := range files {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(templateFS, f); err != nil {
			return nil, fmt.Errorf("template %s: %w", f, err)
		}
		pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return pages, nil
}

// funcs are the few template functions that need no language; everything
// that does is a method of Page.
var funcs = template.FuncMap{
	"has": func(list []string, v string) bool {
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	},
}

// Page is what every template renders: the user's language, their session
// (nil when signed out) and the page's own data.
type Page struct {
	L *i18n.Localizer
	// Lang is the page's lang attribute.
	Lang string
	// Title is the message id of the page's title: never victim data.
	Title   string
	Session *session.Session
	// CSRF is the token every form of the page must post back (as "csrf").
	CSRF string
	// Path is the page's path, for the language switch to come back to.
	Path string
	// IdleSeconds: the page leaves itself (to /idle) after this long, so
	// that no victim data stays on an unattended screen.
	IdleSeconds int
	// Flash is a message id shown at the top (a done action).
	Flash string
	// Error is a message shown at the top (a refused action), translated.
	Error string
	Data  any
	// Langs are the languages of the switch.
	Langs []language.Tag
}

// T translates id in the page's language.
func (p *Page) T(id string, data ...any) string { return p.L.T(id, data...) }

// Enum translates a proto enum value (anything with String(), e.g.
// casebridgev1.CASE_STATUS_OPEN).
func (p *Page) Enum(v fmt.Stringer) string { return p.L.Enum(v.String()) }

// LangName is the name of a language in that language, for the switch.
func (p *Page) LangName(t language.Tag) string { return p.L.T("lang." + t.String()) }

// Date and DateTime format a protobuf time in the page's language.
func (p *Page) Date(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	return p.L.Form.Date(ts.AsTime())
}

// DateTime formats a protobuf time to the minute.
func (p *Page) DateTime(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	return p.L.Form.DateTime(ts.AsTime())
}

// Int formats a count.
func (p *Page) Int(n any) string {
	switch v := n.(type) {
	case int:
		return p.L.Form.Int(int64(v))
	case int32:
		return p.L.Form.Int(int64(v))
	case int64:
		return p.L.Form.Int(v)
	}
	return fmt.Sprint(n)
}

// Money formats an amount in minor units.
func (p *Page) Money(minor int64, currency string) string { return p.L.Form.Money(minor, currency) }

// render writes page name with data. Every page is no-store: most show
// victim data, and the rest are not worth caching.
func (s *Server) render(w http.ResponseWriter, q *Request, status int, name, title string, data any) {
	p := s.page(q, title, data)
	s.renderPage(w, status, name, p)
}

func (s *Server) page(q *Request, title string, data any) *Page {
	p := &Page{L: q.L, Lang: q.L.Tag.String(), Title: title, Session: q.S, Path: q.URL.Path, Data: data,
		Langs: i18n.Languages, Flash: q.flash}
	if q.URL.RawQuery != "" && q.Method == http.MethodGet {
		p.Path = q.URL.Path + "?" + q.URL.RawQuery
	}
	if q.S != nil {
		p.CSRF = q.S.CSRF
		p.IdleSeconds = int(time.Until(s.sessions.IdleDeadline(q.S)).Seconds()) + 5
	} else {
		p.CSRF = q.preCSRF
	}
	return p
}

func (s *Server) renderPage(w http.ResponseWriter, status int, name string, p *Page) {
	t, ok := s.pages[name]
	if !ok {
		s.log.Error("web: no such page template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		s.log.Error("web: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", p.Lang)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fragment writes one named template of page name (no layout), for the
// live parts that replace a piece of a page.
func (s *Server) fragment(w http.ResponseWriter, q *Request, name, block string, data any) {
	t, ok := s.pages[name]
	if !ok {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, s.page(q, "", data)); err != nil {
		s.log.Error("web: render fragment", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// formState is page data that keeps a form's typed values and problems.
type formState interface {
	Value(name string) string
	Problem(name string) string
}

// fieldView is one labelled input with its problem, for templates/parts/field.html.
type fieldView struct {
	P                        *Page
	Name, Label, Kind, Value string
	Error                    string
	Required                 bool
}

// Field describes input name (labelled by message label; kind is an input
// type or "textarea") with its value and problem from the page's form.
func (p *Page) Field(name, label, kind string) fieldView {
	f := fieldView{P: p, Name: name, Label: label, Kind: kind}
	if st, ok := p.Data.(formState); ok {
		f.Value, f.Error = st.Value(name), st.Problem(name)
	}
	return f
}

// Problem is the message id of form field name's problem, or "".
func (p *Page) Problem(name string) string {
	if st, ok := p.Data.(formState); ok {
		return st.Problem(name)
	}
	return ""
}
