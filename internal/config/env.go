// Package config gives command-line flags environment-variable fallbacks,
// so that a container can be configured with either.
package config

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// EnvName is the variable that backs a flag: "database-url" with prefix
// "CASEBRIDGE_" is CASEBRIDGE_DATABASE_URL.
func EnvName(prefix, flagName string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Env describes how a command's flags fall back to the environment.
type Env struct {
	// Prefix is put before the flag's name: CASEBRIDGE_.
	Prefix string
	// Aliases maps a flag name to an extra variable consulted first
	// (DATABASE_URL for database-url).
	Aliases map[string]string
	// CommandLineOnly names the flags no variable may set: a switch such
	// as --dev must be asked for where the operator can see it, not
	// inherited from an environment.
	CommandLineOnly map[string]bool
}

// Apply sets every flag not given on the command line from its
// environment variable, if present.
func (e Env) Apply(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || err != nil || e.CommandLineOnly[f.Name] {
			return
		}
		for _, n := range e.names(f.Name) {
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

func (e Env) names(flagName string) []string {
	var names []string
	if a, ok := e.Aliases[flagName]; ok {
		names = append(names, a)
	}
	return append(names, EnvName(e.Prefix, flagName))
}

// Usage appends each flag's environment variable to its help text, so that
// --help lists both; a command-line-only flag says so.
func (e Env) Usage(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if e.CommandLineOnly[f.Name] {
			f.Usage += " (command line only)"
			return
		}
		f.Usage += " (env " + strings.Join(e.names(f.Name), " or ") + ")"
	})
}
