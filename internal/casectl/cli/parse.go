package cli

import (
	"flag"
	"strings"
)

// parseInterleaved parses fs from args and returns the positional
// arguments. Unlike flag.FlagSet.Parse it lets flags follow positional
// arguments ("casectl cases show SHA-2026-0001 --output json"), which is
// how people type; everything after "--" is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		consumed := args[:len(args)-len(rest)]
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// isFlag reports whether arg looks like a flag rather than a command word.
func isFlag(arg string) bool {
	return len(arg) > 1 && strings.HasPrefix(arg, "-")
}
