package keys

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
)

// Key operations run on a db.Querier. Passing the caller's transaction makes
// the key change part of the caller's mutation: a case and its key, or an
// erasure and the rotation it requires, commit or roll back together.

// atomically runs fn in a transaction (on a pool or connection) or a
// savepoint (inside a transaction), committing or releasing it if fn
// succeeds and rolling it back otherwise, so that a failed key operation
// never leaves half its rows behind and does not abort the caller's
// transaction either.
func atomically(ctx context.Context, q db.Querier, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, q, fn)
}
