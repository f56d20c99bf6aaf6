// Package cli declares casectl's command tree — each command with its own
// flags, help text and examples — and runs it on cobra, which gives the
// conventions people know from gh and kubectl: sub-command help,
// "did you mean …?", --version, shell completion, GNU-style flags
// anywhere on the line. Commands are declared as plain data so that their
// bodies stay small and the dispatch lives in one place.
package cli

import (
	"context"

	"github.com/spf13/pflag"
)

// Command is one node of the command tree: a group of sub-commands (Sub set)
// or a leaf that runs (Run set).
type Command struct {
	// Name is the word typed to choose the command.
	Name string
	// Args names the positional arguments in the usage line, e.g. "REF".
	Args string
	// Summary is one line for the parent's list of sub-commands.
	Summary string
	// Help is the longer description shown by --help; it says why and when
	// to use the command, not only what it does.
	Help string
	// Examples are full command lines, shown by --help.
	Examples []string
	// MinArgs and MaxArgs bound the positional arguments of a leaf;
	// MaxArgs < 0 means no upper bound.
	MinArgs, MaxArgs int
	// Flags declares the command's own flags.
	Flags func(fs *pflag.FlagSet)
	// Run does the work with the positional arguments; fs is the parsed
	// flag set, for commands that need to know which flags were given.
	Run func(ctx context.Context, fs *pflag.FlagSet, args []string) error
	// Sub are the sub-commands of a group.
	Sub []*Command
	// Complete lists what a shell may offer for the next positional
	// argument of a leaf (args: those typed so far; prefix: the word being
	// completed). Nil offers nothing — file names neither, since no
	// command takes one as an argument.
	Complete func(ctx context.Context, args []string, prefix string) []string
}

// Set reports whether the flag called name was given on the command line.
func Set(fs *pflag.FlagSet, name string) bool { return fs.Changed(name) }

// AnySet reports whether any of the named flags was given.
func AnySet(fs *pflag.FlagSet, names ...string) bool {
	for _, n := range names {
		if Set(fs, n) {
			return true
		}
	}
	return false
}
