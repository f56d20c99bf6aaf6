// Command casebridge-web is Casebridge in the browser: server-rendered pages
// over casebridged's public gRPC API. It only wires the process to
// internal/web; `casebridge-web --help` lists the flags.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	// Hearings and deadlines are shown at each court's own zone, and the
	// image has no /usr/share/zoneinfo: the zone database goes in the binary.
	_ "time/tzdata"

	"github.com/casebridge/casebridge/internal/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := web.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
