package digest

import (
	"fmt"
	"strings"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// phrases are one language's sentences of a digest. Each takes counts and
// names only, never text from a case.
type phrases struct {
	subject  string // day
	greeting string
	overdue  string // org, count
	soon     string // org, days, count
	yours    string // count
	caseLine string // reference, count
	link     string
	footer   string
}

var languages = map[casebridgev1.Language]phrases{
	casebridgev1.Language_LANGUAGE_ENGLISH: {
		subject:  "Casebridge: your tasks on %s",
		greeting: "Good morning,",
		overdue:  "Overdue tasks in %s: %d",
		soon:     "Tasks due in %s in the next %d days: %d",
		yours:    "Assigned to you: %d",
		caseLine: "Case %s: %d overdue",
		link:     "Open your tasks:",
		footer:   "This message holds no case details; sign in to see them.",
	},
	casebridgev1.Language_LANGUAGE_SERBIAN_LATIN: {
		subject:  "Casebridge: vaši zadaci za %s",
		greeting: "Dobro jutro,",
		overdue:  "Zadaci kojima je istekao rok u %s: %d",
		soon:     "Zadaci u %s sa rokom u narednih %d dana: %d",
		yours:    "Dodeljeno vama: %d",
		caseLine: "Predmet %s: %d sa isteklim rokom",
		link:     "Otvorite svoje zadatke:",
		footer:   "Ova poruka ne sadrži podatke o predmetima; prijavite se da ih vidite.",
	},
	casebridgev1.Language_LANGUAGE_ALBANIAN: {
		subject:  "Casebridge: detyrat tuaja më %s",
		greeting: "Mirëmëngjes,",
		overdue:  "Detyra me afat të kaluar në %s: %d",
		soon:     "Detyra në %s me afat në %d ditët e ardhshme: %d",
		yours:    "Të caktuara për ju: %d",
		caseLine: "Rasti %s: %d me afat të kaluar",
		link:     "Hapni detyrat tuaja:",
		footer:   "Ky mesazh nuk përmban të dhëna të rasteve; hyni për t'i parë.",
	},
	casebridgev1.Language_LANGUAGE_MACEDONIAN: {
		subject:  "Casebridge: вашите задачи за %s",
		greeting: "Добро утро,",
		overdue:  "Задачи со изминат рок во %s: %d",
		soon:     "Задачи во %s со рок во следните %d дена: %d",
		yours:    "Доделени на вас: %d",
		caseLine: "Предмет %s: %d со изминат рок",
		link:     "Отворете ги вашите задачи:",
		footer:   "Оваа порака не содржи податоци за предметите; најавете се за да ги видите.",
	},
}

// phrasesFor is the language's phrases; English for unspecified.
func phrasesFor(l casebridgev1.Language) phrases {
	if p, ok := languages[l]; ok {
		return p
	}
	return languages[casebridgev1.Language_LANGUAGE_ENGLISH]
}

// summary is everything a digest says.
type summary struct {
	OrgName  string
	Overdue  int
	Soon     int
	SoonDays int
	Yours    int
	Cases    []caseCount // the cases with the most overdue tasks
}

type caseCount struct {
	Reference string
	Overdue   int
}

func (s summary) empty() bool { return s.Overdue == 0 && s.Soon == 0 }

// render writes the subject and plain-text body of a digest.
func render(l casebridgev1.Language, day string, s summary, link string) (subject, body string) {
	p := phrasesFor(l)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", p.greeting)
	fmt.Fprintf(&b, p.overdue+"\n", s.OrgName, s.Overdue)
	fmt.Fprintf(&b, p.soon+"\n", s.OrgName, s.SoonDays, s.Soon)
	fmt.Fprintf(&b, p.yours+"\n", s.Yours)
	if len(s.Cases) > 0 {
		b.WriteString("\n")
		for _, c := range s.Cases {
			fmt.Fprintf(&b, p.caseLine+"\n", c.Reference, c.Overdue)
		}
	}
	fmt.Fprintf(&b, "\n%s\n%s\n\n-- \n%s\n", p.link, link, p.footer)
	return fmt.Sprintf(p.subject, day), b.String()
}
