package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Program is the root of a command tree and what every command shares.
type Program struct {
	Root *Command
	// Globals declares the flags every command accepts (server, output
	// format, ...); they may come before or after the command words.
	Globals func(fs *pflag.FlagSet)
	// Version is what --version prints after the program's name.
	Version string
	// Stdout receives help, completion scripts and the version; Stderr
	// what cobra itself would print on a mistake (nothing: errors are
	// returned).
	Stdout, Stderr io.Writer
}

// ran marks an error returned by a command's Run, as opposed to one cobra
// returned while reading the command line.
type ran struct{ err error }

func (e ran) Error() string { return e.err.Error() }
func (e ran) Unwrap() error { return e.err }

// Execute finds the command args name, parses its flags and runs it. It
// returns a *UsageError for a badly typed command line; --help prints the
// command's help and returns nil, and so does a group typed without a
// sub-command (bare "casectl" and "casectl cases" alike).
func (p *Program) Execute(ctx context.Context, args []string) error {
	root := p.build(p.Root)
	root.Version = p.Version
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	root.SetOut(p.Stdout)
	root.SetErr(p.Stderr)
	root.SetArgs(args)
	p.Globals(root.PersistentFlags())
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return nil
	}
	var r ran
	if errors.As(err, &r) {
		return r.err
	}
	// Everything cobra refuses (unknown command or flag, a bad flag value,
	// the wrong number of arguments) is a usage error of that command.
	var ue *UsageError
	if !errors.As(err, &ue) {
		err = Usagef("%v", err)
	}
	return withCommand(err, cmd.CommandPath())
}

// build turns a declared command and its sub-commands into cobra commands.
func (p *Program) build(c *Command) *cobra.Command {
	cc := &cobra.Command{
		Use:                        strings.TrimSpace(c.Name + " " + c.Args),
		Short:                      c.Summary,
		Long:                       strings.TrimSpace(firstNonEmpty(c.Help, c.Summary)),
		SilenceErrors:              true,
		SuggestionsMinimumDistance: 2,
		SilenceUsage:               true,
	}
	if len(c.Examples) > 0 {
		cc.Example = "  " + strings.Join(c.Examples, "\n  ")
	}
	cc.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return Usagef("%v", err) })
	if c.Flags != nil {
		c.Flags(cc.Flags())
	}
	if c.Run == nil {
		if len(c.Sub) > 0 {
			cc.Use = c.Name + " COMMAND"
		}
		cc.Args = cobra.ArbitraryArgs
		cc.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			return ran{unknownCommand(cmd, args[0])}
		}
		for _, s := range c.Sub {
			cc.AddCommand(p.build(s))
		}
		return cc
	}
	cc.Args = func(_ *cobra.Command, args []string) error {
		if len(args) < c.MinArgs || (c.MaxArgs >= 0 && len(args) > c.MaxArgs) {
			return argCountError(c, args)
		}
		return nil
	}
	cc.RunE = func(cmd *cobra.Command, args []string) error {
		if err := c.Run(cmd.Context(), cmd.Flags(), args); err != nil {
			return ran{withCommand(err, cmd.CommandPath())}
		}
		return nil
	}
	cc.ValidArgsFunction = func(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		if c.Complete == nil || (c.MaxArgs >= 0 && len(args) >= c.MaxArgs) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return c.Complete(cmd.Context(), args, prefix), cobra.ShellCompDirectiveNoFileComp
	}
	return cc
}

// unknownCommand is a usage error naming the word, the likely command and
// the choices, the way cobra words it for the root.
func unknownCommand(cmd *cobra.Command, word string) error {
	msg := fmt.Sprintf("unknown command %q", word)
	if s := cmd.SuggestionsFor(word); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(s, " or "))
	}
	var names []string
	for _, s := range cmd.Commands() {
		if s.IsAvailableCommand() {
			names = append(names, s.Name())
		}
	}
	return withCommand(Usagef("%s (one of: %s)", msg, strings.Join(names, ", ")), cmd.CommandPath())
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

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
