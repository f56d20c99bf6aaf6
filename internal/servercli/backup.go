package servercli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/casebridge/casebridge/internal/backup"
)

func backupCommand(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Back up the database and the keyring as a pair, each half with a manifest",
		Long: `Back up the database (pg_dump, custom format, and the cluster's roles with
pg_dumpall --roles-only where the role may read them) into --out, and copy the
keyring directory into --keyring-out, a separate directory to store apart.
Both get the same manifest.json: when it was taken, the schema version, the
organisation keys the database needs (ids and fingerprints) and every file's
SHA-256. The dump and the key list come from one snapshot; a backup whose
keyring copy lacks a key the dump needs fails. Uses the PostgreSQL 15+ client
programs of this machine (--pg-bin names their directory).`,
		Example: "  casebridged backup --database-url postgres://casebridge_owner@db/casebridge --keyring-dir /var/lib/casebridge/keyring \\\n" +
			"    --out /backups/db/2026-12-02 --keyring-out /custodian/keyring/2026-12-02",
		Args: cobra.NoArgs,
	}
	var o backup.Options
	fs := cmd.Flags()
	fs.StringVar(&o.DatabaseURL, "database-url", "", "PostgreSQL connection URL of the database to back up")
	fs.StringVar(&o.KeyringDir, "keyring-dir", "", "the server's keyring directory")
	fs.StringVar(&o.Out, "out", "", "new directory for the database half")
	fs.StringVar(&o.KeyringOut, "keyring-out", "", "new directory for the keyring half (store it apart from the database half)")
	fs.StringVar(&o.PGBin, "pg-bin", "", "directory of pg_dump and pg_dumpall (default: found on this machine)")
	withEnvUsage(fs)
	cmd.RunE = body(func(cmd *cobra.Command, _ []string) error {
		if o.DatabaseURL == "" || o.KeyringDir == "" || o.Out == "" || o.KeyringOut == "" {
			return errors.New("--database-url, --keyring-dir, --out and --keyring-out are required")
		}
		o.Log = io.Stderr
		m, err := backup.Backup(cmd.Context(), o)
		if err != nil {
			return err
		}
		fmt.Fprintf(io.Stdout, "backup taken %s: database half in %s, keyring half in %s (%d keys needed)\n",
			m.CreatedAt.Format(time.RFC3339), o.Out, o.KeyringOut, len(m.Keys))
		fmt.Fprintln(io.Stdout, "Store the keyring half apart from the database half, encrypted to its custodians.")
		return nil
	})
	return cmd
}

func restoreCommand(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Restore a backup pair into an empty database, check it and verify the audit chain",
		Long: `Restore a backup made by 'casebridged backup'. First the pair is checked: every
file matches the manifest, and the keyring half holds every organisation key
the database half needs — if not, nothing is restored and the missing key ids
are named. Then the dump is restored into --database-url (an empty database,
created when missing; run as the schema owner, who then owns every object),
the key files are put into --keyring-dir (keys already there stay), and
migrate repairs the server role and its privileges. Success is declared only
after every key the database needs opened a case key and the audit chain
verified, holding the head the backup recorded; the restore itself is an
event in the audit log. --roles first recreates the cluster's roles from
roles.sql (for a fresh cluster).`,
		Example: "  casebridged restore --from /backups/db/2026-12-02 --keyring-from /custodian/keyring/2026-12-02 \\\n" +
			"    --database-url postgres://casebridge_owner@db/casebridge --keyring-dir /var/lib/casebridge/keyring",
		Args: cobra.NoArgs,
	}
	var o backup.RestoreOptions
	fs := cmd.Flags()
	fs.StringVar(&o.From, "from", "", "the database half of the backup")
	fs.StringVar(&o.KeyringFrom, "keyring-from", "", "the keyring half of the backup")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "PostgreSQL connection URL of the (empty or new) target database, as its owner")
	fs.StringVar(&o.KeyringDir, "keyring-dir", "", "the server's keyring directory to restore the keys into")
	fs.BoolVar(&o.Roles, "roles", false, "recreate the cluster's roles from the backup's roles.sql first")
	fs.StringVar(&o.PGBin, "pg-bin", "", "directory of pg_restore and psql (default: found on this machine)")
	withEnvUsage(fs)
	cmd.RunE = body(func(cmd *cobra.Command, _ []string) error {
		if o.From == "" || o.KeyringFrom == "" || o.DatabaseURL == "" || o.KeyringDir == "" {
			return errors.New("--from, --keyring-from, --database-url and --keyring-dir are required")
		}
		o.Log = io.Stderr
		res, err := backup.Restore(cmd.Context(), o)
		if err != nil {
			return err
		}
		fmt.Fprintf(io.Stdout, "restored the backup of %s: %d keys checked, audit chain intact over %d events (last %d). Start the servers.\n",
			res.Manifest.CreatedAt.Format(time.RFC3339), res.KeysOpened, res.Chain.Checked, res.Chain.LastPosition)
		return nil
	})
	return cmd
}
