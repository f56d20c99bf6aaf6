package backup

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/vault"
)

// RestoreOptions of a restore.
type RestoreOptions struct {
	// From is the database half; KeyringFrom the keyring half.
	From, KeyringFrom string
	// DatabaseURL is the target database, restored as its owner (the role
	// that runs migrate). It must be empty or not exist yet (then it is
	// created).
	DatabaseURL string
	// KeyringDir is the server's keyring directory to restore the keys
	// into; keys already there stay.
	KeyringDir string
	// Roles recreates the cluster's roles from the database half's
	// roles.sql first (for a fresh cluster; a role that exists stays, with
	// the attributes and password roles.sql gives it).
	Roles bool
	// PGBin names the directory of the PostgreSQL client programs.
	PGBin string
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// RestoreResult is what a successful restore verified.
type RestoreResult struct {
	Manifest *Manifest
	// KeysOpened counts the organisation keys that opened a case key of
	// the restored database.
	KeysOpened int
	// Chain is the verified audit chain, after the restore's own event.
	Chain audit.VerifyResult
}

// ErrKeyringMismatch is wrapped by a restore refused because the keyring
// half lacks keys the database half needs.
var ErrKeyringMismatch = errors.New("the keyring backup does not match the database backup")

// Restore checks the pair, restores the database half into the target,
// puts the keyring half in place, repairs the server role's privileges
// (migrate), and verifies before it declares success: every organisation
// key the database needs is held and opens a case key, and the audit chain
// is intact (and holds the head the backup recorded). It refuses before
// touching the target when the halves do not match.
func Restore(ctx context.Context, o RestoreOptions) (*RestoreResult, error) {
	logf := logger(o.Log)
	if o.From == "" || o.KeyringFrom == "" || o.DatabaseURL == "" || o.KeyringDir == "" {
		return nil, errors.New("both halves of the backup, the target database url and the keyring directory are required")
	}
	m, err := checkPair(o.From, o.KeyringFrom)
	if err != nil {
		return nil, err
	}
	logf("backup of %s taken %s: the pair matches (%d keys needed, all in the keyring backup)", m.Database, m.CreatedAt.Format(time.RFC3339), len(m.Keys))
	if latest := latestMigration(); m.SchemaVersion > latest {
		return nil, fmt.Errorf("the backup's schema (version %d) is newer than this casebridged knows (%d): restore with casebridged %s or newer", m.SchemaVersion, latest, m.ServerVersion)
	}
	tools, err := FindTools(o.PGBin)
	if err != nil {
		return nil, err
	}
	conn, err := ConnFor(o.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := prepareTarget(ctx, o.DatabaseURL, conn); err != nil {
		return nil, err
	}
	if o.Roles {
		if err := restoreRoles(ctx, tools, conn, o.From, logf); err != nil {
			return nil, err
		}
	}
	// Owner and privileges are not restored: objects belong to the role
	// restoring (the schema owner), and migrate below grants the server's
	// role exactly what grants.sql says, the same on every cluster.
	if _, err := tools.run(ctx, conn, "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
		"--dbname="+conn.url, filepath.Join(o.From, DumpFile)); err != nil {
		return nil, fmt.Errorf("restore the database: %w", err)
	}
	logf("database restored into %s", conn.Database())
	if err := placeKeyring(o.KeyringFrom, o.KeyringDir); err != nil {
		return nil, err
	}
	logf("keyring restored into %s", o.KeyringDir)

	pool, err := db.Open(ctx, o.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool); err != nil {
		return nil, fmt.Errorf("migrate the restored database: %w", err)
	}
	logf("migrations applied; the server role's privileges repaired")
	res := &RestoreResult{Manifest: m}
	if res.KeysOpened, err = checkKeys(ctx, pool, o.KeyringDir); err != nil {
		return nil, err
	}
	logf("keyring checked: every key the database needs is held; %d opened a case key", res.KeysOpened)
	if res.Chain, err = checkChain(ctx, pool, m); err != nil {
		return nil, err
	}
	logf("audit chain intact over %d events (last position %d, hash %s)", res.Chain.Checked, res.Chain.LastPosition, hex.EncodeToString(res.Chain.LastHash))
	return res, nil
}

// checkPair reads both manifests, checks every file against its checksum
// and that the keyring half holds every key the database half needs.
func checkPair(from, keyringFrom string) (*Manifest, error) {
	m, err := ReadManifest(from)
	if err != nil {
		return nil, err
	}
	km, err := ReadManifest(keyringFrom)
	if err != nil {
		return nil, fmt.Errorf("the keyring backup: %w", err)
	}
	if err := checkFiles(from, "database", m.DatabaseFiles); err != nil {
		return nil, err
	}
	if err := checkFiles(keyringFrom, "keyring", km.KeyringFiles); err != nil {
		return nil, err
	}
	if missing := missingFrom(m.Keys, keyringFrom); len(missing) > 0 {
		hint := "use the keyring backup taken with this database backup"
		if !km.CreatedAt.Equal(m.CreatedAt) {
			hint = fmt.Sprintf("this keyring backup was taken %s, the database backup %s: %s", km.CreatedAt.Format(time.RFC3339), m.CreatedAt.Format(time.RFC3339), hint)
		}
		return nil, fmt.Errorf("%w: the keyring backup %s lacks %d of the %d keys the database needs: %s; %s. Nothing was restored",
			ErrKeyringMismatch, keyringFrom, len(missing), len(m.Keys), strings.Join(missing, ", "), hint)
	}
	return m, nil
}

func latestMigration() int64 {
	names, _ := fs.Glob(db.Migrations(), "*.sql")
	var latest int64
	for _, n := range names {
		var v int64
		if _, err := fmt.Sscanf(n, "%d_", &v); err == nil && v > latest {
			latest = v
		}
	}
	return latest
}

// prepareTarget creates the target database when it does not exist, and
// refuses one that holds tables: a restore never merges into data.
func prepareTarget(ctx context.Context, databaseURL string, conn Conn) error {
	pc, err := pgx.Connect(ctx, connURL(databaseURL))
	var pgErr interface{ SQLState() string }
	if err != nil && errors.As(err, &pgErr) && pgErr.SQLState() == "3D000" { // invalid_catalog_name
		if err := createDatabase(ctx, databaseURL, conn.Database()); err != nil {
			return err
		}
		pc, err = pgx.Connect(ctx, connURL(databaseURL))
	}
	if err != nil {
		return fmt.Errorf("connect to the target database: %w", err)
	}
	defer pc.Close(context.WithoutCancel(ctx))
	var tables int
	if err := pc.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
		return err
	}
	if tables > 0 {
		return fmt.Errorf("the target database %s is not empty (%d tables): restore into a new database, or drop this one first", conn.Database(), tables)
	}
	return nil
}

func createDatabase(ctx context.Context, databaseURL, name string) error {
	cfg, err := pgx.ParseConfig(connURL(databaseURL))
	if err != nil {
		return errors.New("target database url: invalid connection string")
	}
	cfg.Database = "postgres"
	pc, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to the cluster to create database %s: %w", name, err)
	}
	defer pc.Close(context.WithoutCancel(ctx))
	if _, err := pc.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// restoreRoles runs roles.sql with psql. Creating a role that exists
// already (the superuser, or every role on the same cluster) fails and the
// role stays, its attributes and password then set as roles.sql says; any
// other error stops the restore.
func restoreRoles(ctx context.Context, tools *Tools, conn Conn, from string, logf func(string, ...any)) error {
	path := filepath.Join(from, RolesFile)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("the database half holds no %s (its manifest says the roles were not included): create the roles by hand", RolesFile)
	}
	out, _ := tools.run(ctx, conn, "psql", "--no-psqlrc", "--quiet", "--dbname="+conn.url, "--file="+path)
	var kept int
	for _, line := range strings.Split(out, "\n") {
		switch {
		case !strings.Contains(line, "ERROR:"):
		case strings.Contains(line, "already exists"):
			kept++
		default:
			return fmt.Errorf("recreate the roles from %s: %s", RolesFile, strings.TrimSpace(line))
		}
	}
	logf("roles recreated from %s (%d existed already)", RolesFile, kept)
	return nil
}

// placeKeyring copies the keyring half's key files into dir. A key file
// already there is kept when it is the same; a different one under the same
// name is refused (a key id names one key).
func placeKeyring(from, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("keyring directory: %w", err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !isKeyFile(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, e.Name())
		if have, err := os.ReadFile(dst); err == nil {
			same := bytes.Equal(have, b)
			clear(have)
			if !same {
				clear(b)
				return fmt.Errorf("the keyring directory %s already holds a different %s: nothing was overwritten", dir, e.Name())
			}
			clear(b)
			continue
		}
		err = os.WriteFile(dst, b, 0o600)
		clear(b)
		if err != nil {
			return err
		}
	}
	return nil
}

// checkKeys asks what the server asks at start-up (every active or
// retiring key the database names is held), and then opens, for each such
// key, one case key wrapped to it: a key file that matches its id but
// opens nothing would otherwise pass.
func checkKeys(ctx context.Context, pool *pgxpool.Pool, dir string) (int, error) {
	keyring, err := vault.LoadKeyring(dir)
	if err != nil {
		return 0, err
	}
	km := keys.NewManager(pool, keyring, nil, slog.New(slog.DiscardHandler))
	defer km.Close()
	missing, err := km.MissingKeys(ctx, pool)
	if err != nil {
		return 0, err
	}
	if len(missing) > 0 {
		return 0, fmt.Errorf("%w: the restored keyring lacks keys the database needs: %s", ErrKeyringMismatch, strings.Join(missing, ", "))
	}
	rows, err := pool.Query(ctx, `
		SELECT DISTINCT ON (ck.key_id) ck.key_id, ck.case_id::text, ck.wrapped
		FROM case_keys ck JOIN organization_keys ok ON ok.key_id = ck.key_id
		WHERE ok.state IN ($1, $2) ORDER BY ck.key_id, ck.case_id`, keys.KeyActive, keys.KeyRetiring)
	if err != nil {
		return 0, err
	}
	type sample struct {
		keyID, caseID string
		wrapped       []byte
	}
	samples, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sample, error) {
		var s sample
		err := r.Scan(&s.keyID, &s.caseID, &s.wrapped)
		return s, err
	})
	if err != nil {
		return 0, err
	}
	for _, s := range samples {
		key, err := keyring.UnwrapCaseKeyWith(s.keyID, s.wrapped, s.caseID)
		if err != nil {
			return 0, fmt.Errorf("%w: key %s does not open the case keys wrapped to it: %v", ErrKeyringMismatch, s.keyID, err)
		}
		key.Wipe()
	}
	return len(samples), nil
}

// checkChain records the restore in the audit log, links every event the
// dump held unlinked (and the restore's own), and verifies the whole
// chain, which must also hold, at the position the backup recorded, the
// hash it recorded: the restored chain is the backed-up one.
func checkChain(ctx context.Context, pool *pgxpool.Pool, m *Manifest) (audit.VerifyResult, error) {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		return audit.Command(ctx, tx, audit.Event{Subject: audit.SystemSubject, Method: audit.MethodRestore},
			audit.Pair{Name: audit.DetailBackup, Value: m.CreatedAt.Format(time.RFC3339)},
			audit.Pair{Name: audit.DetailChainHead, Value: fmt.Sprintf("%d:%s", m.AuditChain.Position, m.AuditChain.Hash)})
	})
	if err != nil {
		return audit.VerifyResult{}, fmt.Errorf("record the restore in the audit log: %w", err)
	}
	if _, err := audit.NewChainer(pool, slog.New(slog.DiscardHandler)).Flush(ctx); err != nil {
		return audit.VerifyResult{}, fmt.Errorf("link the audit chain: %w", err)
	}
	res, err := audit.Verify(ctx, pool, 0, 0)
	if err != nil {
		return res, err
	}
	if !res.Intact {
		return res, fmt.Errorf("the restored audit chain is broken at position %d: %s", res.FirstBroken, res.Reason)
	}
	if m.AuditChain.Position > 0 {
		h, err := audit.HashAt(ctx, pool, m.AuditChain.Position)
		if err != nil {
			return res, err
		}
		if hex.EncodeToString(h) != m.AuditChain.Hash {
			return res, fmt.Errorf("the restored audit chain does not hold the hash the backup recorded at position %d", m.AuditChain.Position)
		}
	}
	return res, nil
}
