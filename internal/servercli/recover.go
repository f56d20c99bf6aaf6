package servercli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/recovery"
	"github.com/casebridge/casebridge/internal/vault"
)

func recoverCommand(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recover",
		Short: "Read a database without the server (a restored dump and its keyring backup)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(recoverExportCommand(io))
	return cmd
}

func recoverExportCommand(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export-case",
		Short: "Export one case's decrypted data (JSON) for a court order or a subject-access request",
		Long: `Export one case's decrypted data as JSON, with no server running: its coded
attributes, every sensitive class, and every row of the case that holds a
sealed value (notes, consents, referrals, proceedings, hearings, deadlines,
claims, payments, history) with those values opened. It reads the database
at --database-url (for example a dump restored with 'casebridged restore')
and opens the case key with the keyring at --keyring-dir.

--reason (court-order or subject-access) and --operator (who runs it) are
required: before the document is written, an event is recorded in that
database's audit log naming the case, the classes exported, the reason and
the operator — never the data. The document is written to --out (mode 0600,
never over an existing file), or to standard output with --out -.`,
		Example: "  casebridged recover export-case --database-url postgres://casebridge_owner@db/restored --keyring-dir /restore/keyring \\\n" +
			"    --case SHA-2026-0042 --org shelter-a --reason court-order --operator nina@nrm.example --out case.json",
		Args: cobra.NoArgs,
	}
	var req recovery.Request
	var url, keyringDir, reason, out string
	fs := cmd.Flags()
	fs.StringVar(&url, "database-url", "", "PostgreSQL connection URL of the database to read")
	fs.StringVar(&keyringDir, "keyring-dir", "", "keyring directory holding the organisation keys of that database")
	fs.StringVar(&req.Case, "case", "", "the case: its id, or its reference with --org")
	fs.StringVar(&req.Org, "org", "", "the organisation owning the case (with a reference)")
	fs.StringVar(&reason, "reason", "", "why: court-order or subject-access (recorded in the audit log)")
	fs.StringVar(&req.Operator, "operator", "", "who runs the export, e.g. an e-mail address (recorded in the audit log)")
	fs.StringVar(&out, "out", "", "file to write the JSON document to (new, mode 0600), or - for standard output")
	withEnvUsage(fs)
	cmd.RunE = body(func(cmd *cobra.Command, _ []string) error {
		if url == "" || keyringDir == "" || req.Case == "" || reason == "" || req.Operator == "" || out == "" {
			return errors.New("--database-url, --keyring-dir, --case, --reason, --operator and --out are required")
		}
		var err error
		if req.Reason, err = recovery.ParseReason(reason); err != nil {
			return fmt.Errorf("--reason: %w", err)
		}
		if fi, err := os.Stat(keyringDir); err != nil || !fi.IsDir() {
			return fmt.Errorf("--keyring-dir %s is not a directory", keyringDir)
		}
		var f *os.File
		if out != "-" {
			// Created before anything is decrypted, so that a taken name
			// fails first; removed again if the export fails.
			if f, err = os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			defer f.Close()
		}
		doc, err := exportCase(cmd.Context(), url, keyringDir, req)
		if err != nil {
			if f != nil {
				f.Close()
				os.Remove(out)
			}
			return err
		}
		w := io.Stdout
		if f != nil {
			w = f
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return err
		}
		if f != nil {
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(io.Stderr, "case %s exported to %s (classes %v); the export is recorded in the audit log\n", doc.Case["reference"], out, doc.ExportedClasses)
		}
		return nil
	})
	return cmd
}

func exportCase(ctx context.Context, url, keyringDir string, req recovery.Request) (*recovery.Document, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	pool, err := db.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	keyring, err := vault.LoadKeyring(keyringDir)
	if err != nil {
		return nil, err
	}
	return recovery.Export(ctx, pool, keyring, req)
}
