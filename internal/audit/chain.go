package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// chainLockKey is the transaction-level advisory lock that makes one pass
// of one chainer (among all replicas) link events at a time.
const chainLockKey int64 = 0x4342_4155_4449_5401 // "CBAUDIT" + 1

// Chainer links committed audit events into the hash chain, in the order
// it sees them commit. Any number of replicas may run one: each pass takes
// an advisory lock, so passes never overlap, and whichever replica is
// alive keeps the chain growing.
//
// A pass needs no UPDATE: every event row carries the id of the
// transaction that inserted it, and every chain row the oldest transaction
// still running when it was linked (its horizon). Events of transactions
// older than the last horizon are all linked already, so a pass looks only
// at the events above it that are not yet in the chain.
//
// Transaction ids belong to one cluster: each chain row also names the
// cluster of its horizon. A pass in another cluster (a dump restored
// elsewhere) links every unlinked event, however its xid compares, and
// records the highest restored seq as a floor, so later passes skip the
// restored events by seq rather than by the old cluster's xids.
type Chainer struct {
	pool  *pgxpool.Pool
	log   *slog.Logger
	batch int
}

// NewChainer returns a chainer over pool; nil log means slog.Default().
func NewChainer(pool *pgxpool.Pool, log *slog.Logger) *Chainer {
	if log == nil {
		log = slog.Default()
	}
	return &Chainer{pool: pool, log: log, batch: 5000}
}

// Run links new events every interval until ctx ends. A pass that finds
// another replica's chainer at work is skipped.
func (c *Chainer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for {
			_, more, err := c.pass(ctx, false)
			if err != nil {
				if ctx.Err() == nil && !failing {
					c.log.Warn("audit: cannot link events into the hash chain; will retry", "error", err.Error())
				}
				failing = true
				break
			}
			if failing {
				c.log.Info("audit: linking events into the hash chain again")
				failing = false
			}
			if !more {
				break
			}
		}
	}
}

// Flush links every event committed before it was called, waiting for
// another replica's pass to finish if needed, and returns how many events
// it linked.
func (c *Chainer) Flush(ctx context.Context) (int, error) {
	total := 0
	for {
		n, more, err := c.pass(ctx, true)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

const candidatesSQL = `
SELECT e.id::text, e.event_time, e.subject, e.organization_id, e.roles, e.method,
       COALESCE(e.case_id::text, ''), e.classes, e.code, e.request_id, e.details
FROM audit_events e
WHERE e.xid >= $1 AND e.seq > $2
  AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id)
ORDER BY e.seq
LIMIT $3`

const linkSQL = `
INSERT INTO audit_chain (position, event_id, prev_hash, hash, horizon, horizon_cluster, seq_floor)
SELECT x.p, x.e::uuid, x.ph, x.h, $5, $6, $7
FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::bytea[]) AS x(p, e, ph, h)`

// clusterSQL reads this cluster's identity and the newest transaction id
// it has assigned (plus one).
const clusterSQL = `
SELECT system_identifier::text, pg_snapshot_xmax(pg_current_snapshot())::text::bigint
FROM pg_control_system()`

// restoredFloorSQL is the highest seq among linked events: after a
// restore every linked event is a restored one, and every event inserted
// since has a higher seq (the identity sequence is restored with them).
const restoredFloorSQL = `
SELECT COALESCE(max(e.seq), 0) FROM audit_chain c JOIN audit_events e ON e.id = c.event_id`

// pass links up to c.batch unlinked events. With wait it waits for the
// lock; without, it returns at once when another pass holds it. more
// reports a full batch (call again).
func (c *Chainer) pass(ctx context.Context, wait bool) (linked int, more bool, err error) {
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it is a no-op
	if wait {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, chainLockKey); err != nil {
			return 0, false, fmt.Errorf("chain lock: %w", err)
		}
	} else {
		var got bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, chainLockKey).Scan(&got); err != nil {
			return 0, false, fmt.Errorf("chain lock: %w", err)
		}
		if !got {
			return 0, false, nil
		}
	}
	// Read committed: each statement below sees everything committed before
	// it, including the previous holder's links. The oldest running
	// transaction is read first: every event inserted by an older one is
	// committed (visible to the candidate query below) or rolled back.
	var xmin int64
	if err := tx.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&xmin); err != nil {
		return 0, false, fmt.Errorf("snapshot horizon: %w", err)
	}
	var cluster string
	var xmax int64
	if err := tx.QueryRow(ctx, clusterSQL).Scan(&cluster, &xmax); err != nil {
		return 0, false, fmt.Errorf("cluster identity: %w", err)
	}
	var lastPos, floor, seqFloor int64
	var headCluster string
	lastHash := []byte{}
	err = tx.QueryRow(ctx, `SELECT position, hash, horizon, horizon_cluster, seq_floor FROM audit_chain ORDER BY position DESC LIMIT 1`).
		Scan(&lastPos, &lastHash, &floor, &headCluster, &seqFloor)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, false, fmt.Errorf("chain head: %w", err)
	}
	batch := c.batch
	if moved(headCluster, cluster, floor, xmax) {
		// The horizon is another cluster's xid: link everything unlinked
		// in this one pass (no batch limit, so the floor below is taken
		// once, before any event of this cluster is linked).
		if err := tx.QueryRow(ctx, restoredFloorSQL).Scan(&seqFloor); err != nil {
			return 0, false, fmt.Errorf("restored events: %w", err)
		}
		floor, batch = 0, math.MaxInt32
	}
	rows, err := tx.Query(ctx, candidatesSQL, floor, seqFloor, batch)
	if err != nil {
		return 0, false, fmt.Errorf("unlinked events: %w", err)
	}
	events, err := pgx.CollectRows(rows, scanEvent)
	if err != nil {
		return 0, false, fmt.Errorf("unlinked events: %w", err)
	}
	if len(events) == 0 {
		return 0, false, tx.Commit(ctx)
	}
	horizon := floor
	if len(events) < batch {
		// Every event of a transaction older than xmin was a candidate.
		horizon = max(floor, xmin)
	}
	positions := make([]int64, len(events))
	ids := make([]string, len(events))
	prevs := make([][]byte, len(events))
	hashes := make([][]byte, len(events))
	prev := lastHash
	for i, e := range events {
		pos := lastPos + int64(i) + 1
		h := ChainHash(prev, pos, e)
		positions[i], ids[i], prevs[i], hashes[i] = pos, e.ID, prev, h
		prev = h
	}
	if _, err := tx.Exec(ctx, linkSQL, positions, ids, prevs, hashes, horizon, cluster, seqFloor); err != nil {
		return 0, false, fmt.Errorf("link events: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, false, fmt.Errorf("link events: %w", err)
	}
	return len(events), len(events) == batch, nil
}

// moved reports whether the chain head's horizon was taken in another
// cluster than this one. Rows written before horizons named their cluster
// (”) are taken as this cluster's unless their horizon is ahead of every
// xid this cluster has assigned.
func moved(headCluster, cluster string, floor, xmax int64) bool {
	if headCluster == "" {
		return floor > xmax
	}
	return headCluster != cluster
}

// scanEvent scans the eleven event columns in the order candidatesSQL selects them.
func scanEvent(row pgx.CollectableRow) (Event, error) {
	var e Event
	err := row.Scan(&e.ID, &e.Time, &e.Subject, &e.OrgID, &e.Roles, &e.Method, &e.CaseID, &e.Classes, &e.Code, &e.RequestID, &e.Details)
	return e, err
}
