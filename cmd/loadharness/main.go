// Command loadharness measures Casebridge under load: it starts casebridged
// on a real PostgreSQL, seeds cases, drives mixed gRPC workloads and prints
// a Markdown table (also written as JSON) with every figure next to the
// storage and transport limits measured in the same run. `make bench` runs
// it against a throwaway PostgreSQL:
//
//	deploy/with-postgres.sh loadharness --server-bin bin/casebridged [flags]
//
// The harness itself lives in internal/loadtest.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/casebridge/casebridge/internal/loadtest"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "loadharness:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg := loadtest.DefaultConfig()
	cfg.DatabaseURL = os.Getenv("DATABASE_URL")
	cfg.FastDatabaseURL = os.Getenv("FAST_DATABASE_URL")
	fs := flag.NewFlagSet("loadharness", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	jsonPath := fs.String("json", "bench-results.json", "write the results as JSON to this file (empty: do not)")
	compare := fs.String("compare", "", "an earlier results file to compare this run with")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.Log = os.Stderr

	var old *loadtest.Report
	if *compare != "" {
		var err error
		if old, err = loadtest.ReadJSON(*compare); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	rep, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Print(rep.Markdown())
	if old != nil {
		fmt.Print("\n" + loadtest.Compare(old, rep))
	}
	if *jsonPath != "" {
		if err := rep.WriteJSON(*jsonPath); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "loadharness: results written to %s\n", *jsonPath)
	}
	return nil
}
