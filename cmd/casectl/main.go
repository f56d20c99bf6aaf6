// Command casectl is the Casebridge command-line client. It only wires the
// process to internal/casectl: the command line in, the exit status out,
// and Ctrl-C as the cancellation of the running command.
//
//	casectl --help
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/casebridge/casebridge/internal/casectl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := casectl.Run(ctx, casectl.OSEnv(), os.Args[1:])
	stop()
	os.Exit(code)
}
