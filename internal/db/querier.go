package db

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Querier is what every store runs its SQL on: a *pgxpool.Pool, a *pgx.Conn
// or a pgx.Tx. Passing the caller's transaction makes the statement part of
// the caller's mutation (one transaction per mutation).
//
// Begin is part of it so that a multi-statement operation can run
// atomically on any of them: on a pool it is a transaction of its own,
// inside a transaction it is a savepoint.
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
