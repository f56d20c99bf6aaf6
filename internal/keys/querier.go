package keys

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Querier is what key operations run on: a *pgxpool.Pool, a *pgx.Conn or a
// pgx.Tx. Passing the caller's transaction makes the key change part of the
// caller's mutation (one transaction per mutation): a case and its key, or an
// erasure and the rotation it requires, commit or roll back together.
//
// Begin is required so that every multi-statement operation runs atomically:
// on a pool it is a transaction of its own, inside a transaction it is a
// savepoint, so a failed key operation never leaves half its rows behind and
// does not abort the caller's transaction either.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Begin(ctx context.Context) (pgx.Tx, error)
}

// The handles callers have must all do.
var (
	_ Querier = (*pgxpool.Pool)(nil)
	_ Querier = (pgx.Tx)(nil)
	_ Querier = (*pgx.Conn)(nil)
)

// atomically runs fn in a transaction (on a pool or connection) or a
// savepoint (inside a transaction), committing or releasing it if fn
// succeeds and rolling it back otherwise.
func atomically(ctx context.Context, q Querier, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, q, fn)
}
