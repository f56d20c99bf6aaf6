// Package config gives command-line flags environment-variable fallbacks,
// so that a container can be configured with either.
package config

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// EnvName is the variable that backs a flag: "database-url" with prefix
// "CASEBRIDGE_" is CASEBRIDGE_DATABASE_URL.
func EnvName(prefix, flagName string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ApplyEnv sets every flag not given on the command line from its
// environment variable, if present. aliases maps a flag name to extra
// variables consulted first (DATABASE_URL for database-url).
func ApplyEnv(fs *flag.FlagSet, prefix string, aliases map[string]string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		names := []string{}
		if a, ok := aliases[f.Name]; ok {
			names = append(names, a)
		}
		names = append(names, EnvName(prefix, f.Name))
		for _, n := range names {
			if v, ok := os.LookupEnv(n); ok && v != "" {
				if setErr := fs.Set(f.Name, v); setErr != nil {
					err = fmt.Errorf("environment %s: %w", n, setErr)
				}
				return
			}
		}
	})
	return err
}

// Usage appends each flag's environment variable to its help text, so that
// --help lists both.
func Usage(fs *flag.FlagSet, prefix string, aliases map[string]string) {
	fs.VisitAll(func(f *flag.Flag) {
		env := EnvName(prefix, f.Name)
		if a, ok := aliases[f.Name]; ok {
			env = a + " or " + env
		}
		f.Usage += " (env " + env + ")"
	})
}
