// Package cli is casectl's small sub-command dispatcher: a tree of commands,
// each with its own flags, help text and examples. It exists so that the
// client needs no third-party CLI module and so that every command's help
// shows examples the same way.
package cli

import (
	"context"
	"flag"
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
	Flags func(fs *flag.FlagSet)
	// Run does the work with the positional arguments; fs is the parsed
	// flag set, for commands that need to know which flags were given.
	Run func(ctx context.Context, fs *flag.FlagSet, args []string) error
	// Sub are the sub-commands of a group.
	Sub []*Command
}

// find returns the sub-command called name, or nil.
func (c *Command) find(name string) *Command {
	for _, s := range c.Sub {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Set reports whether the flag called name was given on the command line.
func Set(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			found = true
		}
	})
	return found
}

// AnySet reports whether any of the named flags was given.
func AnySet(fs *flag.FlagSet, names ...string) bool {
	for _, n := range names {
		if Set(fs, n) {
			return true
		}
	}
	return false
}
