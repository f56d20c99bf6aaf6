package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

//go:embed grants.sql
var grantsSQL string

// Migrations returns the versioned SQL files embedded in the binary.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// Migrate applies every pending migration (Casebridge's own, then the job
// queue's: River's tables, see internal/scheduler), then ensures the server's role
// and its privileges exist (grants.sql), every time: a dump restored into a
// fresh cluster has no roles and lost its GRANTs, and migrate repairs it.
// goose takes a PostgreSQL advisory lock, so replicas starting together
// apply each migration once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	provider, err := newProvider(sqlDB)
	if err != nil {
		return err
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	if err := migrateQueue(ctx, pool); err != nil {
		return fmt.Errorf("apply job queue migrations: %w", err)
	}
	if err := ensureGrants(ctx, pool); err != nil {
		return fmt.Errorf("ensure the server role's privileges: %w", err)
	}
	return nil
}

func newProvider(sqlDB *sql.DB) (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	// Out-of-order migrations apply: version numbers are reserved per change
	// when work starts, so a lower number can land after a higher one, and an
	// existing database must still receive it.
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, Migrations(),
		goose.WithSessionLocker(locker), goose.WithAllowOutofOrder(true))
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}

// grantsLockKey serialises grants.sql among replicas: concurrent GRANTs
// on one object fail with "tuple concurrently updated".
const grantsLockKey int64 = 0x4342_4752_4e54_0001 // "CBGRNT" + 1

func ensureGrants(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it is a no-op
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, grantsLockKey); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, grantsSQL); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// queueLockKey serialises River's migrations among replicas: its migrator
// takes no lock of its own, and two replicas creating one table race.
const queueLockKey int64 = 0x4342_5256_5251_0001 // "CBRVRQ" + 1

// QueueSchemaVersion is the River migration version Migrate brings the
// database to: the latest River release in go.mod knows. Test templates
// are keyed by it as by the SQL files.
func QueueSchemaVersion() int {
	m, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		return 0
	}
	all := m.AllVersions()
	if len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Version
}

// migrateQueue applies River's migrations, each in a transaction of its
// own (one adds an enum value a later statement uses, which a single
// transaction refuses), under a session advisory lock held on a connection
// of its own. River's tables live in the same schema as Casebridge's, so
// grants.sql gives casebridge_app what the scheduler needs on them.
func migrateQueue(ctx context.Context, pool *pgxpool.Pool) error {
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, queueLockKey); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, queueLockKey) //nolint:errcheck // released with the session anyway
	_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}
