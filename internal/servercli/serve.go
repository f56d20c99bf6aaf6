package servercli

import (
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/casebridge/casebridge/internal/limits"
	"github.com/casebridge/casebridge/internal/server"
)

// serveFlags makes cmd run the server with the server's flags.
func serveFlags(cmd *cobra.Command, io IO) {
	var cfg server.Config
	cfg.RegisterFlags(cmd.Flags())
	withEnvUsage(cmd.Flags())
	cmd.RunE = body(func(cmd *cobra.Command, _ []string) error { return serve(cmd, io, cfg) })
}

func serve(cmd *cobra.Command, io IO, cfg server.Config) error {
	log, err := server.NewLogger(io.Stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	// The process's memory bound, before anything is allocated in bulk.
	memLimit, err := limits.SetMemoryLimit(cfg.Limits.MemoryLimit, log)
	if err != nil {
		return err
	}
	log.Info("soft memory limit", "bytes", memLimit)
	ctx := cmd.Context()
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	if cfg.Dev {
		fmt.Fprintf(io.Stderr, "\nCasebridge (dev mode) is listening on %s\n"+
			"  grpcurl -plaintext %s list\n"+
			"  TOKEN=$(go run ./cmd/casebridged dev-token --data-dir %s --user caseworker@shelter-a | tail -n 1)\n"+
			"  grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" %s casebridge.v1.OrganizationService/GetCallerIdentity\n\n",
			lis.Addr(), lis.Addr(), cfg.DataDir, lis.Addr())
	}
	if cfg.Dev && cfg.DemoCaseload {
		go seedCaseload(ctx, log, cfg.DataDir, lis.Addr().String())
	}
	return srv.Serve(ctx, lis)
}
