package cli

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// program is a small tree: "tool show REF [--basic]" under a group.
func program(t *testing.T) (*Program, *[]string, *bool, *string, *bytes.Buffer) {
	var got []string
	var basic bool
	var server string
	out := &bytes.Buffer{}
	show := &Command{
		Name: "show", Args: "REF", MinArgs: 1, MaxArgs: 1, Summary: "show one",
		Examples: []string{"tool things show X-1"},
		Flags:    func(fs *pflag.FlagSet) { fs.BoolVar(&basic, "basic", false, "less") },
		Run: func(_ context.Context, _ *pflag.FlagSet, args []string) error {
			got = args
			return nil
		},
	}
	fail := &Command{
		Name: "fail",
		Run: func(context.Context, *pflag.FlagSet, []string) error {
			return Usagef("--x: bad value")
		},
	}
	root := &Command{Name: "tool", Sub: []*Command{{Name: "things", Summary: "things", Sub: []*Command{show, fail}}}}
	p := &Program{
		Root:    root,
		Globals: func(fs *pflag.FlagSet) { fs.StringVar(&server, "server", "", "where") },
		Version: "1.2.3",
		Stdout:  out, Stderr: &bytes.Buffer{},
	}
	return p, &got, &basic, &server, out
}

func TestFlagsMayFollowArguments(t *testing.T) {
	p, got, basic, server, _ := program(t)
	if err := p.Execute(context.Background(), []string{"--server", "a:1", "things", "show", "X-1", "--basic"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(*got, []string{"X-1"}) || !*basic || *server != "a:1" {
		t.Fatalf("args %v basic %v server %q", *got, *basic, *server)
	}
}

func TestGlobalFlagAfterCommandWords(t *testing.T) {
	p, got, _, server, _ := program(t)
	if err := p.Execute(context.Background(), []string{"things", "show", "--server=b:2", "--", "-dash-ref"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(*got, []string{"-dash-ref"}) || *server != "b:2" {
		t.Fatalf("args %v server %q", *got, *server)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nothing"}, `tool: unknown command "nothing"`},
		{[]string{"things", "nope"}, `tool things: unknown command "nope" (one of: fail, show)`},
		{[]string{"things", "shwo"}, `tool things: unknown command "shwo"; did you mean show?`},
		{[]string{"thngs"}, `tool: unknown command "thngs"; did you mean things?`},
		{[]string{"things", "show"}, "tool things show: missing argument: want REF"},
		{[]string{"things", "show", "a", "b"}, "tool things show: too many arguments"},
		{[]string{"things", "show", "a", "--bogus"}, "tool things show: unknown flag: --bogus"},
		{[]string{"things", "show", "a", "-b"}, "tool things show: unknown shorthand flag: 'b' in -b"},
		{[]string{"things", "fail"}, "tool things fail: --x: bad value\nRun 'tool things fail --help' for usage."},
	} {
		p, _, _, _, _ := program(t)
		err := p.Execute(context.Background(), tc.args)
		var ue *UsageError
		if !errors.As(err, &ue) || ue.ExitCode() != 2 {
			t.Errorf("%v: got %v, want a usage error", tc.args, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %q does not contain %q", tc.args, err.Error(), tc.want)
		}
	}
}

func TestHelpShowsExamplesAndFlags(t *testing.T) {
	for _, args := range [][]string{{"things", "show", "--help"}, {"help", "things", "show"}, {"things", "show", "-h"}} {
		p, got, _, _, out := program(t)
		if err := p.Execute(context.Background(), args); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if *got != nil {
			t.Fatalf("%v: help must not run the command", args)
		}
		h := out.String()
		for _, want := range []string{"Usage:\n  tool things show REF [flags]", "Examples:\n  tool things show X-1", "--basic", "Global Flags:", "--server"} {
			if !strings.Contains(h, want) {
				t.Errorf("%v: help lacks %q:\n%s", args, want, h)
			}
		}
	}
	// A group without its sub-command prints its help and succeeds, at the
	// root and below alike.
	for _, args := range [][]string{nil, {"things"}} {
		p, _, _, _, out := program(t)
		if err := p.Execute(context.Background(), args); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.Contains(out.String(), "Available Commands:\n") {
			t.Errorf("%v help:\n%s", args, out.String())
		}
	}
}

func TestVersionAndCompletion(t *testing.T) {
	p, _, _, _, out := program(t)
	if err := p.Execute(context.Background(), []string{"--version"}); err != nil || out.String() != "tool 1.2.3\n" {
		t.Fatalf("--version: %v %q", err, out.String())
	}
	p, _, _, _, out = program(t)
	if err := p.Execute(context.Background(), []string{"completion", "bash"}); err != nil || !strings.Contains(out.String(), "bash completion") {
		t.Fatalf("completion bash: %v", err)
	}
	// Completion proposes the sub-commands.
	p, _, _, _, out = program(t)
	if err := p.Execute(context.Background(), []string{"__complete", "things", "s"}); err != nil || !strings.Contains(out.String(), "show") {
		t.Fatalf("__complete: %v %q", err, out.String())
	}
}
