package sealed_test

import (
	"os"
	"strings"
	"testing"

	"github.com/casebridge/casebridge/internal/vault"
)

// TestFormatSpecificationListsTheRegistry: docs/sealed-format.md gives,
// for every registered column and only those, the row id column, the
// binding the code computes, the class and the plaintext encoding, so an
// independent reader built from it opens what the server seals.
func TestFormatSpecificationListsTheRegistry(t *testing.T) {
	doc, err := os.ReadFile("../../docs/sealed-format.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## 4. Bindings")
	if !ok {
		t.Fatal("docs/sealed-format.md has no section 4 on bindings")
	}
	rows := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "| `") {
			col, _, _ := strings.Cut(strings.TrimPrefix(line, "| `"), "`")
			rows[col] = line
		}
	}
	if len(rows) != len(vault.Columns()) {
		t.Errorf("the specification lists %d columns, the registry %d", len(rows), len(vault.Columns()))
	}
	for _, c := range vault.Columns() {
		line, ok := rows[c.String()]
		if !ok {
			t.Errorf("the specification does not list %s", c)
			continue
		}
		cells := strings.Split(line, " | ")
		class := "`" + string(c.Class()) + "`"
		if c.Class() == "" {
			class = "the row's `" + c.ClassColumn() + "`"
		}
		want := []string{"`" + c.IDColumn() + "`", "`" + c.Binding("case_id", "id") + "`", class, c.Encoding().String()}
		if len(cells) != 5 || cells[1] != want[0] || cells[2] != want[1] || !strings.HasPrefix(cells[3], want[2]) ||
			!strings.HasPrefix(strings.TrimSuffix(cells[4], " |"), want[3]) {
			t.Errorf("the specification's row of %s:\n%s\nwant row id %s, binding %s, class %s, plaintext %s", c, line, want[0], want[1], want[2], want[3])
		}
	}
}
