package casectl

import (
	"context"
	"fmt"

	"github.com/casebridge/casebridge/internal/buildinfo"
	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
)

// Run runs one casectl command line (without the program name) and returns
// the exit status: 0 on success, 1 when a call was refused or failed, 2 for
// a usage error, 130 when interrupted. Errors are written to env.Stderr in
// plain words; a panic becomes a one-line message, never a stack trace.
func Run(ctx context.Context, env Env, args []string) (code int) {
	a := newApp(env)
	defer a.close()
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(env.Stderr, "casectl: internal error: %v (please report this)\n", r)
			code = explain.Failed
		}
	}()
	root := a.root()
	a.completeCases(root)
	prog := &cli.Program{Root: root, Globals: a.globals.register, Version: buildinfo.Version(), Stdout: env.Stdout, Stderr: env.Stderr}
	err := prog.Execute(ctx, args)
	if err == nil {
		return 0
	}
	code = explain.ExitCode(err)
	if code == explain.Usage {
		// A usage error names its command itself: "casectl cases new: ...".
		fmt.Fprintln(env.Stderr, explain.Message(err))
	} else {
		fmt.Fprintln(env.Stderr, "casectl: "+explain.Message(err))
	}
	return code
}
