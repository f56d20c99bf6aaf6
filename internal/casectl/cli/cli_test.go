package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"slices"
	"strings"
	"testing"
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
		Flags:    func(fs *flag.FlagSet) { fs.BoolVar(&basic, "basic", false, "less") },
		Run: func(_ context.Context, _ *flag.FlagSet, args []string) error {
			got = args
			return nil
		},
	}
	fail := &Command{
		Name: "fail",
		Run: func(context.Context, *flag.FlagSet, []string) error {
			return Usagef("--x: bad value")
		},
	}
	root := &Command{Name: "tool", Sub: []*Command{{Name: "things", Summary: "things", Sub: []*Command{show, fail}}}}
	p := &Program{
		Root:    root,
		Globals: func(fs *flag.FlagSet) { fs.StringVar(&server, "server", "", "where") },
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
		{[]string{"things", "nope"}, `tool things: unknown command "nope" (one of: show, fail)`},
		{[]string{"things"}, "tool things: missing sub-command"},
		{[]string{"things", "show"}, "tool things show: missing argument: want REF"},
		{[]string{"things", "show", "a", "b"}, "tool things show: too many arguments"},
		{[]string{"things", "show", "a", "--bogus"}, "tool things show: flag provided but not defined: -bogus"},
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
		for _, want := range []string{"Usage: tool things show REF [flags]", "Examples:\n  tool things show X-1", "--basic", "Global flags:", "--server"} {
			if !strings.Contains(h, want) {
				t.Errorf("%v: help lacks %q:\n%s", args, want, h)
			}
		}
	}
	p, _, _, _, out := program(t)
	if err := p.Execute(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Commands:\n  things") {
		t.Errorf("root help:\n%s", out.String())
	}
}
