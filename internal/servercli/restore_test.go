package servercli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/casebridge/casebridge/internal/backup"
	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/testdb"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// backupOf runs 'casebridged backup' of env's database and keyring into
// two new directories (the database half, the keyring half).
func backupOf(t *testing.T, dbURL, dataDir string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	out, keyring := filepath.Join(dir, "db"), filepath.Join(dir, "keyring")
	code, stdout, stderr := run(t, "backup", "--database-url", dbURL, "--keyring-dir", filepath.Join(dataDir, "keys"),
		"--out", out, "--keyring-out", keyring)
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s\n%s", code, stdout, stderr)
	}
	return out, keyring
}

// restoreInto runs 'casebridged restore' of a pair into dbURL and a new
// data directory (keyring dataDir/keys), and returns that directory.
func restoreInto(t *testing.T, from, keyringFrom, dbURL string, extra ...string) string {
	t.Helper()
	dataDir := t.TempDir()
	args := append([]string{"restore", "--from", from, "--keyring-from", keyringFrom, "--database-url", dbURL,
		"--keyring-dir", filepath.Join(dataDir, "keys")}, extra...)
	code, stdout, stderr := run(t, args...)
	if code != 0 {
		t.Fatalf("restore: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "audit chain intact") {
		t.Fatalf("restore did not report the verified chain:\n%s", stdout)
	}
	return dataDir
}

// otherDatabase is dbURL with another (new, random) database name, dropped
// when t ends.
func otherDatabase(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "cbrestored_" + hex.EncodeToString(b)
	u.Path = "/" + name
	t.Cleanup(func() {
		admin := *u
		admin.Path = "/postgres"
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, admin.String()); err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") //nolint:errcheck
			c.Close(ctx)
		}
	})
	return u.String()
}

// serving asserts that the server reports SERVING and reads the marked
// case (its identity class), and that its audit chain verifies.
func serving(t *testing.T, env *servertest.Env, caseID string) *casebridgev1.VerifyChainResponse {
	t.Helper()
	h, err := grpc_health_v1.NewHealthClient(env.Conn).Check(context.Background(), &grpc_health_v1.HealthCheckRequest{})
	if err != nil || h.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
		t.Fatalf("health after restore: %v, %v", h.GetStatus(), err)
	}
	got, err := env.Cases().GetCase(env.As(t, "caseworker@shelter-a"), &casebridgev1.GetCaseRequest{Id: caseID})
	if err != nil || got.GetCase().GetIdentity().GetGivenNames() != servertest.MarkGiven {
		t.Fatalf("GetCase after restore: %v, %v", got.GetCase().GetIdentity(), err)
	}
	return verifyChain(t, env)
}

func verifyChain(t *testing.T, env *servertest.Env) *casebridgev1.VerifyChainResponse {
	t.Helper()
	ac := casebridgev1.NewAuditServiceClient(env.Conn)
	if _, err := ac.ListEvents(env.As(t, "auditor@network"), &casebridgev1.ListEventsRequest{PageSize: 1}); err != nil {
		t.Fatalf("ListEvents: %v", err) // links what is pending
	}
	v, err := ac.VerifyChain(env.As(t, "auditor@network"), &casebridgev1.VerifyChainRequest{})
	if err != nil || !v.GetIntact() {
		t.Fatalf("VerifyChain after restore: %v, %v", v, err)
	}
	return v
}

// TestBackupRestoreSameCluster: a backup pair restored into a new database
// of the same cluster serves the case again, its sealed data readable, and
// the audit chain verifies, keeps linking, and records the restore.
func TestBackupRestoreSameCluster(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	caseID := env.NewMarkedCase(t)
	verifyChain(t, env) // links what is pending, so the backup records a chain head
	from, keyringFrom := backupOf(t, env.DBURL, env.DataDir)
	m, err := readManifestForTest(from)
	if err != nil || len(m.Keys) == 0 || m.SchemaVersion == 0 || m.AuditChain.Position == 0 {
		t.Fatalf("manifest: %+v, %v", m, err)
	}

	target := otherDatabase(t, env.DBURL) // does not exist yet: restore creates it
	dataDir := restoreInto(t, from, keyringFrom, target)
	restored := servertest.StartOn(t, target, dataDir)
	before := serving(t, restored, caseID)
	restored.NewMarkedCase(t)
	after := verifyChain(t, restored)
	if after.GetLastSequence() <= before.GetLastSequence() || after.GetLastSequence() <= m.AuditChain.Position {
		t.Fatalf("the chain did not grow after the restore: %d then %d (backup at %d)", before.GetLastSequence(), after.GetLastSequence(), m.AuditChain.Position)
	}
	var restores int
	if err := restored.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE method = 'casebridged/RestoreBackup'`).Scan(&restores); err != nil || restores != 1 {
		t.Fatalf("restore events in the audit log: %d, %v", restores, err)
	}

	// A second restore into the now full database is refused, and changes nothing.
	code, _, stderr := run(t, "restore", "--from", from, "--keyring-from", keyringFrom, "--database-url", target,
		"--keyring-dir", filepath.Join(t.TempDir(), "keys"))
	if code != exitFailed || !strings.Contains(stderr, "is not empty") {
		t.Fatalf("restore into a full database: exit %d, %s", code, stderr)
	}
}

// TestRestoreIntoAFreshClusterAfterRaisedXID: the backup of a long-lived
// cluster (transaction ids in the millions) restored, roles and all, into
// a fresh cluster: the server reads the case, new events are linked into
// the chain, and it verifies.
func TestRestoreIntoAFreshClusterAfterRaisedXID(t *testing.T) {
	t.Parallel()
	old := testdb.StartCluster(t)
	old.RaiseXID(t, "5000000")
	oldURL := old.Database(t, "casebridge")
	oldEnv := servertest.StartOn(t, oldURL, t.TempDir())
	caseID := oldEnv.NewMarkedCase(t)
	from, keyringFrom := backupOf(t, oldURL, oldEnv.DataDir)
	m, err := readManifestForTest(from)
	if err != nil || !strings.HasPrefix(m.Roles, "included") {
		t.Fatalf("manifest roles: %+v, %v", m, err)
	}

	fresh := testdb.StartCluster(t)
	target := fresh.Database(t, "casebridge") // exists, empty
	dataDir := restoreInto(t, from, keyringFrom, target, "--roles")
	env := servertest.StartOn(t, target, dataDir)
	var xid int64
	if err := env.Pool.QueryRow(context.Background(), `SELECT pg_current_xact_id()::text::bigint`).Scan(&xid); err != nil || xid >= 5000000 {
		t.Fatalf("fresh cluster's xid = %d, %v; the test needs it below the old cluster's", xid, err)
	}
	before := serving(t, env, caseID)
	env.NewMarkedCase(t)
	after := verifyChain(t, env)
	if after.GetLastSequence() <= before.GetLastSequence() {
		t.Fatalf("new events were not linked after the restore: %d then %d", before.GetLastSequence(), after.GetLastSequence())
	}
}

// TestRestoreRefusesAMismatchedKeyring: a database backup taken after a key
// rotation, paired with the keyring backup from before it, is refused
// before anything is restored, naming the missing key; so is an empty
// keyring half.
func TestRestoreRefusesAMismatchedKeyring(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	env.NewMarkedCase(t)
	_, keyringBefore := backupOf(t, env.DBURL, env.DataDir)

	admin := env.As(t, "admin@shelter-a")
	orgs := env.Organizations()
	rot, err := orgs.RotateKey(admin, &casebridgev1.RotateKeyRequest{OrganizationId: "shelter-a"})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got, err := orgs.GetKeyRotation(admin, &casebridgev1.GetKeyRotationRequest{OrganizationId: "shelter-a", Id: rot.GetRotation().GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetRotation().GetState() == casebridgev1.RotationState_ROTATION_STATE_DONE {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rotation did not finish: %v", got.GetRotation())
		}
	}
	fromAfter, _ := backupOf(t, env.DBURL, env.DataDir)
	newKey := rot.GetRotation().GetNewKeyId()

	target := otherDatabase(t, env.DBURL)
	code, _, stderr := run(t, "restore", "--from", fromAfter, "--keyring-from", keyringBefore, "--database-url", target,
		"--keyring-dir", filepath.Join(t.TempDir(), "keys"))
	if code != exitFailed || !strings.Contains(stderr, "lacks 1 of the") || !strings.Contains(stderr, newKey+" (shelter-a, active)") ||
		!strings.Contains(stderr, "Nothing was restored") {
		t.Fatalf("restore with the keyring from before the rotation: exit %d\n%s", code, stderr)
	}
	ctx := context.Background()
	if c, err := pgx.Connect(ctx, target); err == nil {
		c.Close(ctx)
		t.Fatalf("the refused restore created the target database")
	}

	// A half whose files changed since the backup is refused too.
	_, keyringAfter := backupOf(t, env.DBURL, env.DataDir)
	dump := filepath.Join(fromAfter, "database.pgdump")
	b, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(dump, b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, "restore", "--from", fromAfter, "--keyring-from", keyringAfter, "--database-url", target,
		"--keyring-dir", filepath.Join(t.TempDir(), "keys"))
	if code != exitFailed || !strings.Contains(stderr, "database.pgdump does not match its checksum") {
		t.Fatalf("restore of a damaged dump: exit %d\n%s", code, stderr)
	}
}

func readManifestForTest(dir string) (*backup.Manifest, error) { return backup.ReadManifest(dir) }
