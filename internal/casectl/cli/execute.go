package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Program is the root of a command tree and what every command shares.
type Program struct {
	Root *Command
	// Globals declares the flags every command accepts (server, output
	// format, ...); they may come before or after the command words.
	Globals func(fs *flag.FlagSet)
	// Stdout receives help that was asked for; Stderr help that was not
	// (a group typed without its sub-command).
	Stdout, Stderr io.Writer
}

// Execute finds the command args name, parses its flags and runs it. It
// returns a *UsageError for a badly typed command line; --help prints the
// command's help and returns nil.
func (p *Program) Execute(ctx context.Context, args []string) error {
	cmd, path := p.Root, []string{p.Root.Name}
	globals := flag.NewFlagSet(p.Root.Name, flag.ContinueOnError)
	globals.SetOutput(io.Discard)
	p.Globals(globals)

	// Global flags before the command words, then the words themselves.
	for cmd.Run == nil {
		rest, err := parseLeading(globals, args)
		if errors.Is(err, flag.ErrHelp) {
			return p.help(p.Stdout, cmd, path)
		}
		if err != nil {
			return withCommand(Usagef("%v", err), strings.Join(path, " "))
		}
		args = rest
		if len(args) == 0 {
			break
		}
		word := args[0]
		if word == "help" && cmd == p.Root {
			return p.helpFor(args[1:])
		}
		next := cmd.find(word)
		if next == nil {
			return withCommand(Usagef("unknown command %q (one of: %s)", word, names(cmd.Sub)), strings.Join(path, " "))
		}
		cmd, path, args = next, append(path, word), args[1:]
	}
	full := strings.Join(path, " ")
	if cmd.Run == nil {
		if cmd == p.Root {
			return p.help(p.Stdout, cmd, path)
		}
		_ = p.help(p.Stderr, cmd, path)
		return withCommand(Usagef("missing sub-command (one of: %s)", names(cmd.Sub)), full)
	}

	// Declaring the globals again on the leaf's flag set resets the
	// variables they share to their defaults: keep the values typed before
	// the command words and give them back.
	typed := map[string]string{}
	globals.Visit(func(f *flag.Flag) { typed[f.Name] = f.Value.String() })
	fs := p.flagSet(cmd, full)
	for name, value := range typed {
		if err := fs.Set(name, value); err != nil {
			return withCommand(Usagef("%v", err), full)
		}
	}
	positional, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return p.help(p.Stdout, cmd, path)
	}
	if err != nil {
		return withCommand(Usagef("%v", err), full)
	}
	if len(positional) < cmd.MinArgs || (cmd.MaxArgs >= 0 && len(positional) > cmd.MaxArgs) {
		return withCommand(argCountError(cmd, positional), full)
	}
	return withCommand(cmd.Run(ctx, fs, positional), full)
}

// parseLeading parses the global flags that come before the next command
// word and returns the arguments from that word on.
func parseLeading(fs *flag.FlagSet, args []string) ([]string, error) {
	if len(args) == 0 || !isFlag(args[0]) {
		return args, nil
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return fs.Args(), nil
}

// flagSet builds the leaf's flag set: its own flags and the global ones.
func (p *Program) flagSet(cmd *Command, full string) *flag.FlagSet {
	fs := flag.NewFlagSet(full, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if cmd.Flags != nil {
		cmd.Flags(fs)
	}
	p.Globals(fs)
	return fs
}

func argCountError(cmd *Command, got []string) error {
	want := cmd.Args
	if want == "" {
		want = "no arguments"
	}
	switch {
	case len(got) < cmd.MinArgs:
		return Usagef("missing argument: want %s", want)
	default:
		return Usagef("too many arguments (%s): want %s", strings.Join(got, " "), want)
	}
}

// helpFor prints the help of the command named by words ("help cases new").
func (p *Program) helpFor(words []string) error {
	cmd, path := p.Root, []string{p.Root.Name}
	for _, w := range words {
		next := cmd.find(w)
		if next == nil {
			return withCommand(Usagef("unknown command %q (one of: %s)", w, names(cmd.Sub)), strings.Join(path, " "))
		}
		cmd, path = next, append(path, w)
	}
	return p.help(p.Stdout, cmd, path)
}

func names(cmds []*Command) string {
	out := make([]string, len(cmds))
	for i, c := range cmds {
		out[i] = c.Name
	}
	return strings.Join(out, ", ")
}

func (p *Program) help(w io.Writer, cmd *Command, path []string) error {
	full := strings.Join(path, " ")
	var fs *flag.FlagSet
	if cmd.Run != nil {
		fs = p.flagSet(cmd, full)
	}
	globals := flag.NewFlagSet("globals", flag.ContinueOnError)
	p.Globals(globals)
	if _, err := fmt.Fprint(w, renderHelp(cmd, full, fs, globals)); err != nil {
		return fmt.Errorf("write help: %w", err)
	}
	return nil
}
