// Package servercli is casebridged's command line: serve (the default),
// migrate, dev-token, bootstrap, backup, restore, recover and version, each
// with its flags and their environment fallbacks, built on cobra for
// sub-command help, suggestions for a mistyped command, --version and
// shell completion.
package servercli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/casebridge/casebridge/internal/buildinfo"
	"github.com/casebridge/casebridge/internal/config"
)

// Exit statuses: 0 done, 1 failed, 2 the command line was wrong.
const (
	exitFailed = 1
	exitUsage  = 2
)

// env is how every flag falls back to the environment. --dev is not among
// them: dev mode must be asked for on the command line.
var env = config.Env{
	Prefix:          "CASEBRIDGE_",
	Aliases:         map[string]string{"database-url": "DATABASE_URL", "otlp-endpoint": "OTEL_EXPORTER_OTLP_ENDPOINT"},
	CommandLineOnly: map[string]bool{"dev": true},
}

// IO is where the commands read and write, and the context that ends the
// server (SIGINT/SIGTERM).
type IO struct {
	Ctx            context.Context
	Stdout, Stderr io.Writer
}

// runError marks an error a command's body returned, as opposed to one
// cobra returned for a badly typed command line.
type runError struct{ err error }

func (e runError) Error() string { return e.err.Error() }
func (e runError) Unwrap() error { return e.err }

// body adapts a command body: flags fall back to the environment first,
// and the body's error is marked as a run error.
func body(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := env.Apply(cmd.Flags()); err != nil {
			return err
		}
		if err := f(cmd, args); err != nil {
			return runError{err}
		}
		return nil
	}
}

// Execute runs one command line (without the program name) and returns the
// exit status.
func Execute(io IO, args []string) int {
	root := newRoot(io)
	root.SetArgs(args)
	err := root.ExecuteContext(io.Ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(io.Stderr, "casebridged:", err)
	var re runError
	if errors.As(err, &re) {
		return exitFailed
	}
	fmt.Fprintln(io.Stderr, "Run 'casebridged --help' for usage.")
	return exitUsage
}

func newRoot(io IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "casebridged",
		Short: "The Casebridge server: every gRPC service on one port, PostgreSQL as the only state",
		Long: `casebridged is the Casebridge server. Without a sub-command it serves, as
'casebridged serve' does. Every flag also reads an environment variable
(listed with it), except --dev, which only the command line turns on.`,
		Example: `  casebridged --dev --data-dir .data/casebridged          # laptop demo on 127.0.0.1:7443
  casebridged migrate --database-url postgres://owner@db/casebridge
  casebridged dev-token --user caseworker@shelter-a
  casebridged bootstrap --org network --name Network --kind coordinating_body --admin admin@network ...`,
		Version:       buildinfo.Version(),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(io.Stdout)
	root.SetErr(io.Stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	serveFlags(root, io)
	serve := &cobra.Command{Use: "serve", Short: "Run the server (the default)", Args: cobra.NoArgs}
	serveFlags(serve, io)
	root.AddCommand(serve, migrateCommand(io), devTokenCommand(io), bootstrapCommand(io), backupCommand(io), restoreCommand(io), recoverCommand(io), versionCommand(io))
	return root
}

func versionCommand(io IO) *cobra.Command {
	return &cobra.Command{
		Use: "version", Short: "Print the version", Args: cobra.NoArgs,
		Run: func(*cobra.Command, []string) { fmt.Fprintln(io.Stdout, "casebridged", buildinfo.Version()) },
	}
}

// withEnvUsage adds the environment variables to the flags' help.
func withEnvUsage(fs *pflag.FlagSet) { env.Usage(fs) }
