package loadtest

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/caseaccess"
)

// The limits: what PostgreSQL alone does, through pgx, for the work a
// workload must do at the least. Each workload is reported against the
// limit it belongs to (Config's limitOf), measured in the same run on the
// same data and cluster, with the same durability settings.
const (
	// WLimitRead reads what GetCase must read: a case row, all its
	// ciphertexts and its sharing, in one query.
	WLimitRead = "limit 1: select case + ciphertexts (pgx)"
	// WLimitReadAudit adds what a naive GetCase must write: one audit
	// insert per call, committed, in one transaction with the select.
	WLimitReadAudit = "limit 2: select + audit insert, one tx per call (pgx)"
	// WLimitReadAuditGrouped is the best this design can do: the select,
	// then the audit insert committed in groups as the audit writer groups
	// them (one writer connection, everything queued in one INSERT).
	WLimitReadAuditGrouped = "limit 2g: select + audit insert, commits grouped (pgx)"
	// WLimitCreate is CreateCase's writes as one transaction: the row, its
	// four ciphertexts, its wrapped key and its audit event.
	WLimitCreate = "limit 3: CreateCase's writes in one tx (pgx)"
	// WLimitPage is the keyset page ListCases reads: 50 (+1) visible rows.
	WLimitPage = "limit 4: keyset page of 50 cases (pgx)"
)

// limitOf names the limit each workload is divided by.
var limitOf = map[string]string{
	WGetCase:     WLimitReadAuditGrouped,
	WGetCaseHalf: WLimitReadAuditGrouped,
	WListCases:   WLimitPage,
	WCreateCase:  WLimitCreate,
}

// limitSource marks the rows limit 3 writes, so they are removed after it.
const limitSource = "loadharness-limit"

// readCaseSQL is what GetCase reads of one case, in one round trip and
// one row: its columns, its sharing and its ciphertexts (as arrays).
var readCaseSQL = `SELECT s.classes, s.cts, ` + caseaccess.SharesColumn("cases") + `, ` + caseColumns + `
	FROM cases, LATERAL (SELECT array_agg(c.class ORDER BY c.class) AS classes, array_agg(c.ciphertext ORDER BY c.class) AS cts
		FROM case_secrets c WHERE c.case_id = cases.id) s
	WHERE cases.id = $1`

// pageSQL is ListCases's keyset page (first page, optional status filter).
var pageSQL = `SELECT ` + caseColumns + ` FROM cases c
	WHERE ` + caseaccess.VisibleSQL("c", "$1") + ` AND ($2 = 0 OR c.status = $2)
	ORDER BY c.seq DESC LIMIT 51`

// auditInsertSQL writes one read event, as the server writes it.
const auditInsertSQL = `INSERT INTO audit_events (id, event_time, subject, organization_id, roles, method, case_id, classes, code, request_id)
	VALUES ($1, now(), $2, $3, '{caseworker}', '/casebridge.v1.CaseService/GetCase', $4, '{identity,contact,care,legal}', 'OK', $5)`

// auditGroupSQL writes many read events in one statement (unnest of
// parallel arrays), as the audit writer's group commit does.
const auditGroupSQL = `INSERT INTO audit_events (id, event_time, subject, organization_id, roles, method, case_id, classes, code, request_id)
	SELECT x.id, now(), $2, $3, '{caseworker}', '/casebridge.v1.CaseService/GetCase', x.c, '{identity,contact,care,legal}', 'OK', x.rid
	FROM unnest($1::uuid[], $4::uuid[], $5::text[]) AS x(id, c, rid)`

// pgLimits holds what the limit workloads share.
type pgLimits struct {
	// durable commits synchronously whatever the cluster's default, as
	// the audit writer does for read events.
	durable *pgxpool.Pool
	group   *groupCommit

	// A real case's stored shapes, so limit 3 writes as many bytes.
	keyID   string
	wrapped []byte
	blobs   [][]byte
}

// newLimits prepares the limit workloads on e's database.
func newLimits(ctx context.Context, e *env, dbURL string, concurrency int) (*pgLimits, func(), error) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, nil, errors.New("parse database url: invalid connection string")
	}
	cfg.MaxConns = int32(concurrency)
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	durable, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	gcfg := cfg.Copy()
	gcfg.MaxConns = 1
	writer, err := pgxpool.NewWithConfig(ctx, gcfg)
	if err != nil {
		durable.Close()
		return nil, nil, err
	}
	l := &pgLimits{durable: durable, group: newGroupCommit(writer)}
	closeAll := func() { l.group.close(); writer.Close(); durable.Close() }
	if len(e.full) == 0 {
		closeAll()
		return nil, nil, errors.New("no full case to copy shapes from")
	}
	id := e.full[0].id
	if err := e.pool.QueryRow(ctx, `SELECT key_id, wrapped FROM case_keys WHERE case_id = $1 LIMIT 1`, id).Scan(&l.keyID, &l.wrapped); err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("a wrapped key to copy: %w", err)
	}
	rows, err := e.pool.Query(ctx, `SELECT ciphertext FROM case_secrets WHERE case_id = $1 ORDER BY class`, id)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	if l.blobs, err = pgx.CollectRows(rows, pgx.RowTo[[]byte]); err != nil || len(l.blobs) == 0 {
		closeAll()
		return nil, nil, fmt.Errorf("ciphertexts to copy: %v", err)
	}
	return l, closeAll, nil
}

// readCase runs readCaseSQL on q and checks it found the case's classes.
func readCase(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, id string) error {
	rows, err := q.Query(ctx, readCaseSQL, id)
	if err != nil {
		return err
	}
	n, classes := 0, 0
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			rows.Close()
			return err
		}
		if cts, ok := vals[1].([]any); ok {
			classes = len(cts)
		}
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if n != 1 || classes != 4 {
		return fmt.Errorf("case %s: %d rows and %d ciphertexts, want 1 and 4", id, n, classes)
	}
	return nil
}

// limitRead is limit 1.
func (e *env) limitRead(ctx context.Context, w *worker) error {
	return readCase(ctx, e.pool, e.full[w.rng.IntN(len(e.full))].id)
}

// limitReadAudit is limit 2: select and audit insert in one committed tx.
func (e *env) limitReadAudit(ctx context.Context, w *worker) error {
	id := e.full[w.rng.IntN(len(e.full))].id
	return pgx.BeginFunc(ctx, e.lim.durable, func(tx pgx.Tx) error {
		if err := readCase(ctx, tx, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, auditInsertSQL, uuid.New(), caseworker, "shelter-a", id, uuid.NewString())
		return err
	})
}

// limitReadAuditGrouped is limit 2g: the select, then the event handed to
// the group commit and waited for.
func (e *env) limitReadAuditGrouped(ctx context.Context, w *worker) error {
	id := e.full[w.rng.IntN(len(e.full))].id
	e.lim.group.inflight.Add(1)
	defer e.lim.group.inflight.Add(-1)
	if err := readCase(ctx, e.pool, id); err != nil {
		return err
	}
	return e.lim.group.write(ctx, groupEvent{id: uuid.New(), caseID: uuid.MustParse(id), requestID: uuid.NewString()})
}

// limitCreate is limit 3: CreateCase's writes, committed in one tx.
func (e *env) limitCreate(ctx context.Context, w *worker) error {
	id := uuid.New()
	ref := "LIM-" + id.String()[:13]
	classes := make([]int16, len(e.lim.blobs))
	blobs := make([][]byte, len(e.lim.blobs))
	for i, b := range e.lim.blobs {
		classes[i] = int16(i + 1)
		// Fresh bytes of the same size: PostgreSQL may compress repeated
		// values (TOAST), real ciphertexts do not compress.
		blobs[i] = make([]byte, len(b))
		_, _ = crand.Read(blobs[i])
	}
	wrapped := make([]byte, len(e.lim.wrapped))
	_, _ = crand.Read(wrapped)
	return pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO cases (id, organization_id, reference, status, assigned_caseworker,
				sex, age_band, child, nationality, country, identification_year, exploitation_forms,
				identification_status, classes_present, request_id, import_source)
			VALUES ($1, 'shelter-a', $2, 1, $3, 1, 4, 2, 'UA', 'RS', 2024, '{1}', 1, 15, $4, $5)`,
			id, ref, caseworker, uuid.NewString(), limitSource); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO case_keys (case_id, key_id, wrapped) VALUES ($1, $2, $3)`, id, e.lim.keyID, wrapped); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO case_secrets (case_id, class, ciphertext)
			SELECT $1, c, ct FROM unnest($2::smallint[], $3::bytea[]) AS s(c, ct)`, id, classes, blobs); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, auditInsertSQL, uuid.New(), caseworker, "shelter-a", id, uuid.NewString())
		return err
	})
}

// removeLimitCases deletes the cases limit 3 wrote (their keys and
// ciphertexts go with them), so that no later workload meets them.
func (e *env) removeLimitCases(ctx context.Context) error {
	_, err := e.pool.Exec(ctx, `DELETE FROM cases WHERE import_source = $1`, limitSource)
	return err
}

// limitPage is limit 4: the first keyset page of the caseworker's cases,
// one call in four only open cases, as the ListCases workload asks.
func (e *env) limitPage(ctx context.Context, w *worker) error {
	status := 0
	if w.rng.IntN(4) == 0 {
		status = 1
	}
	rows, err := e.pool.Query(ctx, pageSQL, []string{"shelter-a"}, status)
	if err != nil {
		return err
	}
	n := 0
	for rows.Next() {
		if _, err := rows.Values(); err != nil {
			rows.Close()
			return err
		}
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if n == 0 {
		return errors.New("keyset page: no cases")
	}
	return nil
}

// groupEvent is one read event waiting for the group commit.
type groupEvent struct {
	id, caseID uuid.UUID
	requestID  string
	done       chan error
}

// groupCommit is the audit writer's policy, on its own connection: take
// the first waiting event and everything queued behind it (up to 512);
// while some call in progress has not handed its event over yet, wait up
// to 2 ms for more; write them with one INSERT and one commit.
type groupCommit struct {
	pool     *pgxpool.Pool
	queue    chan groupEvent
	inflight atomic.Int64
	waiting  atomic.Int64
	wg       sync.WaitGroup
}

const (
	groupMaxBatch = 512
	groupLinger   = 2 * time.Millisecond
)

func newGroupCommit(pool *pgxpool.Pool) *groupCommit {
	g := &groupCommit{pool: pool, queue: make(chan groupEvent, 8192)}
	g.wg.Add(1)
	go g.run()
	return g
}

func (g *groupCommit) write(ctx context.Context, ev groupEvent) error {
	ev.done = make(chan error, 1)
	g.waiting.Add(1)
	select {
	case g.queue <- ev:
	case <-ctx.Done():
		g.waiting.Add(-1)
		return ctx.Err()
	}
	select {
	case err := <-ev.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *groupCommit) close() { close(g.queue); g.wg.Wait() }

func (g *groupCommit) run() {
	defer g.wg.Done()
	batch := make([]groupEvent, 0, groupMaxBatch)
	for first := range g.queue {
		batch = append(batch[:0], first)
		deadline := time.NewTimer(groupLinger)
	collect:
		for len(batch) < groupMaxBatch {
			select {
			case ev, ok := <-g.queue:
				if !ok {
					break collect
				}
				batch = append(batch, ev)
				continue
			default:
			}
			if g.waiting.Load() >= g.inflight.Load() {
				break
			}
			select {
			case ev, ok := <-g.queue:
				if !ok {
					break collect
				}
				batch = append(batch, ev)
			case <-deadline.C:
				break collect
			}
		}
		deadline.Stop()
		ids := make([]uuid.UUID, len(batch))
		cases := make([]uuid.UUID, len(batch))
		rids := make([]string, len(batch))
		for i, ev := range batch {
			ids[i], cases[i], rids[i] = ev.id, ev.caseID, ev.requestID
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := g.pool.Exec(ctx, auditGroupSQL, ids, caseworker, "shelter-a", cases, rids)
		cancel()
		g.waiting.Add(-int64(len(batch)))
		for _, ev := range batch {
			ev.done <- err
		}
	}
}
