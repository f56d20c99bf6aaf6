package web

import (
	"io/fs"
	"regexp"
	"testing"

	"github.com/casebridge/casebridge/internal/web/i18n"
	"github.com/casebridge/casebridge/internal/web/locales"
)

// Every value of every enum a page shows has a label in every language.
func TestEveryShownEnumHasALabel(t *testing.T) {
	c, err := i18n.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range shownEnums {
		for i := 0; i < d.Values().Len(); i++ {
			key := i18n.EnumKey(string(d.Values().Get(i).Name()))
			for _, l := range i18n.Languages {
				if !c.Has(l, key) {
					t.Errorf("%s: no message %q in %s", d.FullName(), key, l)
				}
			}
		}
	}
}

// Every message a template names literally ({{.T "key"}}, {{$p.T "key"}})
// is in the catalogue: a typo fails here, before a browser shows ⟦key⟧.
func TestTemplatesNameOnlyKnownMessages(t *testing.T) {
	c, err := i18n.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`\.T "([^"]+)"|\.Field "[^"]+" "([^"]+)"`)
	n := 0
	err = fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(templateFS, path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllSubmatch(src, -1) {
			n++
			key := string(m[1]) + string(m[2])
			if key == "" {
				continue
			}
			if !c.Has(i18n.Languages[0], key) {
				t.Errorf("%s names message %q, which the catalogue lacks", path, key)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("found only %d message names in the templates", n)
	}
}
