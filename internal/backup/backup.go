package backup

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/buildinfo"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/vault"
)

// Options of a backup.
type Options struct {
	// DatabaseURL is the database to back up.
	DatabaseURL string
	// KeyringDir is the server's keyring directory (--keyring-dir).
	KeyringDir string
	// Out receives the database half; KeyringOut the keyring half. Both
	// must be new or empty, and neither inside the other.
	Out, KeyringOut string
	// PGBin names the directory of the PostgreSQL client programs; ""
	// finds them.
	PGBin string
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Backup dumps the database and copies the keyring as one consistent pair.
//
// The dump is taken from a snapshot exported by a transaction that also
// reads, in that same snapshot, which organisation keys the database needs
// (active and retiring) and the audit chain's head, so the manifest
// describes exactly the dump. The keyring is copied after the dump: a key
// created meanwhile is harmless extra, and a key destroyed meanwhile (a
// rotation that finished during the dump) is caught by the check that
// every key the dump needs is in the copy, which fails the backup.
func Backup(ctx context.Context, o Options) (*Manifest, error) {
	logf := logger(o.Log)
	if o.DatabaseURL == "" || o.KeyringDir == "" || o.Out == "" || o.KeyringOut == "" {
		return nil, errors.New("the database url, the keyring directory and both output directories are required")
	}
	if err := apart(o.Out, o.KeyringOut); err != nil {
		return nil, err
	}
	tools, err := FindTools(o.PGBin)
	if err != nil {
		return nil, err
	}
	conn, err := ConnFor(o.DatabaseURL)
	if err != nil {
		return nil, err
	}
	// Load the keyring before anything is written: a key file with the
	// wrong mode or name fails here, not halfway.
	keyring, err := loadKeyringReadOnly(o.KeyringDir)
	if err != nil {
		return nil, err
	}
	if err := prepareDir(o.Out); err != nil {
		return nil, err
	}
	if err := prepareDir(o.KeyringOut); err != nil {
		return nil, err
	}

	m := &Manifest{Format: ManifestFormat, CreatedAt: time.Now().UTC().Truncate(time.Second), ServerVersion: buildinfo.Version()}
	if err := dumpFromSnapshot(ctx, tools, conn, o.DatabaseURL, filepath.Join(o.Out, DumpFile), m); err != nil {
		return nil, err
	}
	logf("database %s dumped (schema version %d, audit chain at position %d)", m.Database, m.SchemaVersion, m.AuditChain.Position)

	m.Roles = dumpRoles(ctx, tools, conn, filepath.Join(o.Out, RolesFile))
	logf("roles: %s", m.Roles)

	if err := copyKeyring(o.KeyringDir, o.KeyringOut); err != nil {
		return nil, err
	}
	if missing := missingFrom(m.Keys, o.KeyringOut); len(missing) > 0 {
		return nil, fmt.Errorf("the keyring directory %s lacks keys the dump needs: %s "+
			"(a key rotation finished during the backup?): take the backup again", o.KeyringDir, strings.Join(missing, ", "))
	}
	logf("keyring copied: %d key files (the dump needs %d)", len(keyring.IDs()), len(m.Keys))

	if m.DatabaseFiles, err = checksums(o.Out); err != nil {
		return nil, err
	}
	if m.KeyringFiles, err = checksums(o.KeyringOut); err != nil {
		return nil, err
	}
	if err := writeManifest(o.Out, m); err != nil {
		return nil, err
	}
	if err := writeManifest(o.KeyringOut, m); err != nil {
		return nil, err
	}
	return m, nil
}

// dumpFromSnapshot runs pg_dump on a snapshot exported by a read-only
// transaction, and fills in m from that same snapshot.
func dumpFromSnapshot(ctx context.Context, tools *Tools, conn Conn, databaseURL, path string, m *Manifest) error {
	pc, err := pgx.Connect(ctx, connURL(databaseURL))
	if err != nil {
		return fmt.Errorf("connect to the database: %w", err)
	}
	defer pc.Close(context.WithoutCancel(ctx))
	tx, err := pc.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read only
	var snapshot string
	if err := tx.QueryRow(ctx, `SELECT pg_export_snapshot()`).Scan(&snapshot); err != nil {
		return fmt.Errorf("export a snapshot: %w", err)
	}
	if err := describe(ctx, tx, m); err != nil {
		return err
	}
	if _, err := tools.run(ctx, conn, "pg_dump", "--format=custom", "--snapshot="+snapshot, "--file="+path, "--dbname="+conn.url); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}

// describe reads what the manifest says of the database.
func describe(ctx context.Context, q pgx.Tx, m *Manifest) error {
	if err := q.QueryRow(ctx, `SELECT current_database()`).Scan(&m.Database); err != nil {
		return err
	}
	if err := q.QueryRow(ctx, `SELECT COALESCE(max(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&m.SchemaVersion); err != nil {
		return fmt.Errorf("schema version (is this a Casebridge database?): %w", err)
	}
	rows, err := q.Query(ctx, `SELECT key_id, organization_id, state, recipient FROM organization_keys
		WHERE state IN ($1, $2) ORDER BY organization_id, key_id`, keys.KeyActive, keys.KeyRetiring)
	if err != nil {
		return fmt.Errorf("organisation keys: %w", err)
	}
	m.Keys, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ManifestKey, error) {
		var k ManifestKey
		var state int16
		err := row.Scan(&k.ID, &k.Organization, &state, &k.Recipient)
		k.State = "active"
		if keys.KeyState(state) == keys.KeyRetiring {
			k.State = "retiring"
		}
		k.Fingerprint = Fingerprint(k.Recipient)
		return k, err
	})
	if err != nil {
		return fmt.Errorf("organisation keys: %w", err)
	}
	var hash []byte
	err = q.QueryRow(ctx, `SELECT position, hash FROM audit_chain ORDER BY position DESC LIMIT 1`).Scan(&m.AuditChain.Position, &hash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("audit chain head: %w", err)
	}
	m.AuditChain.Hash = hex.EncodeToString(hash)
	return nil
}

// dumpRoles writes the cluster's roles where the connecting role may read
// them (with passwords for a superuser, without for others), and says what
// it wrote. Roles are not in a pg_dump; a restore into a fresh cluster can
// recreate the login roles from this file.
func dumpRoles(ctx context.Context, tools *Tools, conn Conn, path string) string {
	if _, err := tools.run(ctx, conn, "pg_dumpall", "--roles-only", "--file="+path, "--dbname="+conn.url); err == nil {
		_ = os.Chmod(path, 0o600)
		return "included (" + RolesFile + ", with passwords)"
	}
	if _, err := tools.run(ctx, conn, "pg_dumpall", "--roles-only", "--no-role-passwords", "--file="+path, "--dbname="+conn.url); err == nil {
		_ = os.Chmod(path, 0o600)
		return "included (" + RolesFile + ", without passwords: the role that took the backup may not read them)"
	}
	_ = os.Remove(path)
	return "not included: the role that took the backup may not read the cluster's roles"
}

// copyKeyring copies every key file of src into dst (mode 0600).
func copyKeyring(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("read the keyring directory: %w", err)
	}
	for _, e := range entries {
		if !isKeyFile(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if errors.Is(err, os.ErrNotExist) {
			continue // destroyed since the listing; missingFrom decides
		}
		if err != nil {
			return fmt.Errorf("copy key file %s: %w", e.Name(), err)
		}
		err = os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600)
		clear(b)
		if err != nil {
			return fmt.Errorf("copy key file %s: %w", e.Name(), err)
		}
	}
	return nil
}

func isKeyFile(name string) bool {
	return !strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".agekey")
}

// missingFrom lists the keys of need that dir does not hold with the
// recipient the manifest names, each as "id (organisation, state)".
func missingFrom(need []ManifestKey, dir string) []string {
	kr, err := loadKeyringReadOnly(dir)
	var missing []string
	for _, k := range need {
		if err == nil {
			if r, ok := kr.Recipient(k.ID); ok && Fingerprint(r) == k.Fingerprint {
				continue
			}
		}
		missing = append(missing, fmt.Sprintf("%s (%s, %s)", k.ID, k.Organization, k.State))
	}
	return missing
}

// loadKeyringReadOnly loads the key files of an existing directory;
// vault.LoadKeyring would create a missing one.
func loadKeyringReadOnly(dir string) (*vault.Keyring, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("keyring directory %s does not exist", dir)
	}
	return vault.LoadKeyring(dir)
}

// apart refuses two halves in one place: the point of two halves is that
// they are stored apart.
func apart(a, b string) error {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if aa == bb || strings.HasPrefix(aa, bb+string(filepath.Separator)) || strings.HasPrefix(bb, aa+string(filepath.Separator)) {
		return fmt.Errorf("the database half (%s) and the keyring half (%s) must be separate directories, neither inside the other: store them apart", a, b)
	}
	return nil
}

func logger(w io.Writer) func(format string, args ...any) {
	return func(format string, args ...any) {
		if w != nil {
			fmt.Fprintf(w, format+"\n", args...)
		}
	}
}
