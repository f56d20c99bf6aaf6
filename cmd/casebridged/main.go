// Command casebridged is the Casebridge server: every gRPC service on one
// port, PostgreSQL as the only state. It only wires the process to
// internal/servercli; `casebridged --help` lists the sub-commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/casebridge/casebridge/internal/servercli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := servercli.Execute(servercli.IO{Ctx: ctx, Stdout: os.Stdout, Stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}
