package casectl

import (
	"strings"
	"testing"

	"github.com/casebridge/casebridge/internal/casectl/cli"
)

// TestEveryCommandHasHelpAndExamples: --help of every command shows
// examples, each a full casectl command line of that command.
func TestEveryCommandHasHelpAndExamples(t *testing.T) {
	var walk func(c *cli.Command, path string)
	walk = func(c *cli.Command, path string) {
		if c.Summary == "" && path != "casectl" {
			t.Errorf("%s has no summary", path)
		}
		if len(c.Examples) == 0 {
			t.Errorf("%s has no examples", path)
		}
		for _, e := range c.Examples {
			// In a pipeline, one of the commands is the example's.
			found := false
			for _, cmdline := range strings.Split(e, "|") {
				cmdline = strings.TrimSpace(cmdline)
				found = found || strings.HasPrefix(cmdline, path) || (c.Run == nil && strings.HasPrefix(cmdline, "casectl "))
			}
			if !found {
				t.Errorf("%s: example %q is not a command line of it", path, e)
			}
		}
		for _, s := range c.Sub {
			walk(s, path+" "+s.Name)
		}
	}
	walk(newApp(Env{}).root(), "casectl")
}
