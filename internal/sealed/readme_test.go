package sealed_test

import (
	"os"
	"strings"
	"testing"

	"github.com/casebridge/casebridge/internal/vault"
)

// TestReadmeListsTheRegistry: the README's table of sealed values says
// exactly what the registry holds, column, class and description.
func TestReadmeListsTheRegistry(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n### Sealed values")
	if !ok {
		t.Fatal("README has no \"Sealed values\" section")
	}
	section, _, _ = strings.Cut(section, "\n#")
	var got []string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "| `") {
			got = append(got, line)
		}
	}
	var want []string
	for _, c := range vault.Columns() {
		class := string(c.Class())
		if class == "" {
			class = "per row"
		}
		want = append(want, "| `"+c.String()+"` | "+class+" | "+c.About()+" |")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("README table of sealed values:\n%s\nwant (from the registry):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
