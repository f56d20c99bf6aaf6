package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
)

// Options tune a [Recorder]. The zero value is ready to use.
type Options struct {
	// FlushWorkers is how many group commits of read events may run at
	// once, each on its own connection (a small pool of the recorder's own,
	// so that audit writes never wait for — or starve — the handlers'
	// connections); zero means 1: one commit in flight while the next batch
	// gathers gives the largest batches, hence the cheapest auditing.
	FlushWorkers int
	// MaxBatch bounds the events of one group commit; zero means 512.
	MaxBatch int
	// Linger is the longest a flush worker waits for more events after the
	// first one before it commits: fewer, larger commits cost the server and
	// PostgreSQL far less than one commit per read. It waits only while some
	// audited call in progress has not yet asked for its event to be
	// written (when every one is waiting, it commits at once), so a lone
	// call is not delayed. Zero means 2 ms; negative commits at once.
	Linger time.Duration
	// QueueSize bounds the read events waiting for a flush worker; zero
	// means 8192. A full queue makes Read wait (or fail at its deadline).
	QueueSize int
	// ChainInterval is how often Start's chainer links new events; zero
	// means 200 ms, a negative value runs no chainer (another replica's, or
	// Flush, links the events).
	ChainInterval time.Duration
	// WriteTimeout bounds one group commit and the interceptor's writes of
	// failure events (which must outlive a cancelled call); zero means 10 s.
	WriteTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnGroupCommit, if set, is told the number of events of every group
	// commit (metrics).
	OnGroupCommit func(events int)
}

// Recorder writes audit events. Build it with NewRecorder, call Start once
// and Close when the server stops (after the gRPC server has drained).
type Recorder struct {
	pool    *pgxpool.Pool
	writers *pgxpool.Pool // the flush workers' own connections; nil before Start
	log     *slog.Logger
	opts    Options
	now     func() time.Time
	chainer *Chainer

	// syncByDefault is set once Start has seen that the database commits
	// synchronously by default; until then (or if it does not) each group
	// commit turns synchronous_commit on for itself.
	syncByDefault atomic.Bool

	mu      sync.RWMutex // guards started, closed and sending on queue
	started bool
	closed  bool
	queue   chan *pending
	workers sync.WaitGroup

	stopChain context.CancelFunc
	chainDone chan struct{}

	// inflight counts the audited calls between the interceptor's start and
	// end; waiting counts the events waiting for a group commit. A worker
	// lingers for more events only while waiting < inflight.
	inflight atomic.Int64
	waiting  atomic.Int64
}

type pending struct {
	ev   Event
	done chan error
}

var (
	// ErrNoCall means Read or InTx ran outside an audited call: the
	// interceptor (or StartCall) did not prepare the context. Handlers must
	// treat it as a failure, never answer unaudited.
	ErrNoCall = errors.New("audit: the call is not audited (no audit context)")
	// ErrClosed means the recorder was closed.
	ErrClosed = errors.New("audit: recorder is closed")
)

// NewRecorder returns a recorder writing to pool. log receives failures
// (with method, code and request id, never a payload); nil means
// slog.Default().
func NewRecorder(pool *pgxpool.Pool, log *slog.Logger, opts Options) *Recorder {
	if log == nil {
		log = slog.Default()
	}
	if opts.FlushWorkers <= 0 {
		opts.FlushWorkers = 1
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 8192
	}
	if opts.Linger == 0 {
		opts.Linger = 2 * time.Millisecond
	}
	if opts.ChainInterval == 0 {
		opts.ChainInterval = 200 * time.Millisecond
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Recorder{
		pool:    pool,
		log:     log,
		opts:    opts,
		now:     now,
		chainer: NewChainer(pool, log),
		queue:   make(chan *pending, opts.QueueSize),
	}
}

// Start starts the flush workers and, unless Options.ChainInterval is
// negative, the chainer, which runs until ctx ends or Close. Before Start,
// each event is written on its own (correct, but without group commit).
func (r *Recorder) Start(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.closed {
		return
	}
	cfg := r.pool.Config()
	cfg.MaxConns = int32(r.opts.FlushWorkers)
	cfg.MinConns = 0
	if writers, err := pgxpool.NewWithConfig(context.WithoutCancel(ctx), cfg); err == nil {
		r.writers = writers
	} else {
		r.log.Warn("audit: no dedicated connections for the group commit; sharing the pool", "error", err.Error())
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	var sc string
	if err := r.writer().QueryRow(qctx, `SELECT current_setting('synchronous_commit')`).Scan(&sc); err == nil && sc != "off" {
		r.syncByDefault.Store(true)
	}
	cancel()
	r.started = true
	for range r.opts.FlushWorkers {
		r.workers.Add(1)
		go r.worker()
	}
	if r.opts.ChainInterval > 0 {
		cctx, cancel := context.WithCancel(ctx)
		r.stopChain = cancel
		r.chainDone = make(chan struct{})
		go func() {
			defer close(r.chainDone)
			r.chainer.Run(cctx, r.opts.ChainInterval)
		}()
	}
}

// Close writes the events still queued, stops the workers and the chainer
// and waits for them. Read and InTx fail with ErrClosed afterwards.
func (r *Recorder) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	close(r.queue)
	r.mu.Unlock()
	r.workers.Wait()
	if r.stopChain != nil {
		r.stopChain()
		<-r.chainDone
	}
	if r.writers != nil {
		r.writers.Close()
	}
}

// Chainer returns the recorder's chainer.
func (r *Recorder) Chainer() *Chainer { return r.chainer }

// Flush links every event committed so far into the hash chain (waiting
// for another replica's chainer if it holds the lock). Tests and
// ListEvents use it; the background chainer does the same every interval.
func (r *Recorder) Flush(ctx context.Context) error {
	_, err := r.chainer.Flush(ctx)
	return err
}

// Read records that the current call read caseID (a UUID, or "" for none)
// and the sensitive classes it returned in clear (none when only coded
// attributes were read),
// acting for organisation org (whose roles the event records; "" when the
// principal belongs to one organisation only, or none applied). It returns
// once the event is committed: concurrent reads share one INSERT and one
// commit. A handler must not answer if Read fails. It is the one audited
// read of every service; a nil Recorder (a server built without audit)
// records nothing.
func (r *Recorder) Read(ctx context.Context, org, caseID string, classes []dataclass.Class) error {
	if r == nil {
		return nil
	}
	ev, c, err := r.prepare(ctx, org, caseID, classes)
	if err != nil {
		return err
	}
	if err := r.write(ctx, ev); err != nil {
		return fmt.Errorf("audit: record read: %w", err)
	}
	c.mu.Lock()
	c.durable++
	c.mu.Unlock()
	return nil
}

// InTx records the current call's change of caseID (and of the classes
// named) inside tx, the transaction that makes the change: the event
// commits or rolls back with it. If tx rolls back, the interceptor still
// records the failed call. Arguments are as for Read. It is the one
// audited change of every service; a nil Recorder records nothing.
func (r *Recorder) InTx(ctx context.Context, tx pgx.Tx, org, caseID string, classes []dataclass.Class) error {
	if r == nil {
		return nil
	}
	ev, c, err := r.prepare(ctx, org, caseID, classes)
	if err != nil {
		return err
	}
	if err := insertEvents(ctx, tx, []Event{ev}); err != nil {
		return fmt.Errorf("audit: record change: %w", err)
	}
	c.mu.Lock()
	c.txIDs = append(c.txIDs, ev.ID)
	c.mu.Unlock()
	return nil
}

// prepare checks the arguments and builds the call's event.
func (r *Recorder) prepare(ctx context.Context, org, caseID string, classes []dataclass.Class) (Event, *call, error) {
	c := callFrom(ctx)
	if c == nil {
		return Event{}, nil, ErrNoCall
	}
	cid := ""
	if caseID != "" {
		if cid = canonicalUUID(caseID); cid == "" {
			return Event{}, nil, errors.New("audit: case id is not a UUID")
		}
	}
	cls, err := normalizeClasses(classes)
	if err != nil {
		return Event{}, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.capturePrincipal(ctx)
	if org != "" {
		c.org = org
	}
	if cid != "" {
		c.caseID = cid
	}
	return c.event(r, org, cid, cls, CodeName(codes.OK)), c, nil
}

// normalizeClasses checks the classes and returns their words once each,
// in the order of dataclass.All.
func normalizeClasses(classes []dataclass.Class) ([]string, error) {
	if len(classes) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(classes))
	for _, c := range dataclass.All {
		if slices.Contains(classes, c) {
			out = append(out, string(c))
		}
	}
	for _, c := range classes {
		if !c.Valid() {
			return nil, fmt.Errorf("audit: unknown data class %q", c)
		}
	}
	return out, nil
}

// write makes ev durable: through the group commit once started, on its own
// before.
func (r *Recorder) write(ctx context.Context, ev Event) error {
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return ErrClosed
	}
	if !r.started {
		r.mu.RUnlock()
		return r.insertDurable(ctx, []Event{ev})
	}
	p := &pending{ev: ev, done: make(chan error, 1)}
	r.waiting.Add(1)
	select {
	case r.queue <- p:
		r.mu.RUnlock()
	case <-ctx.Done():
		r.mu.RUnlock()
		r.waiting.Add(-1)
		return ctx.Err()
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		// The event may still be written: over-auditing is harmless.
		return ctx.Err()
	}
}

// worker is one group-commit loop: it takes the first waiting event and
// every other event already queued; while some audited call in progress has
// not asked for its event yet, it waits up to Linger for more (or until the
// batch is full); then it writes them all with one INSERT and one commit and
// wakes their callers.
func (r *Recorder) worker() {
	defer r.workers.Done()
	batch := make([]*pending, 0, r.opts.MaxBatch)
	events := make([]Event, 0, r.opts.MaxBatch)
	var timer *time.Timer
	for first := range r.queue {
		batch = append(batch[:0], first)
		var linger <-chan time.Time
	collect:
		for len(batch) < r.opts.MaxBatch {
			select {
			case p, ok := <-r.queue:
				if !ok {
					break collect
				}
				batch = append(batch, p)
				continue
			default:
			}
			if r.opts.Linger <= 0 || r.waiting.Load() >= r.inflight.Load() {
				break // every call in progress is waiting: commit now
			}
			if linger == nil {
				if timer == nil {
					timer = time.NewTimer(r.opts.Linger)
				} else {
					timer.Reset(r.opts.Linger)
				}
				linger = timer.C
			}
			select {
			case p, ok := <-r.queue:
				if !ok {
					break collect
				}
				batch = append(batch, p)
			case <-linger:
				linger = nil
				break collect
			}
		}
		if linger != nil {
			timer.Stop()
		}
		events = events[:0]
		for _, p := range batch {
			events = append(events, p.ev)
		}
		ctx, cancel := context.WithTimeout(context.Background(), r.opts.WriteTimeout)
		err := r.insertDurable(ctx, events)
		cancel()
		if err != nil {
			r.log.Error("audit: group commit failed", "events", len(events), "error", err.Error())
		}
		if r.opts.OnGroupCommit != nil {
			r.opts.OnGroupCommit(len(events))
		}
		r.waiting.Add(-int64(len(batch)))
		for _, p := range batch {
			p.done <- err
		}
	}
}

// QueueDepth is the number of read events waiting for a flush worker.
func (r *Recorder) QueueDepth() int { return len(r.queue) }

// writer is the pool group commits use.
func (r *Recorder) writer() *pgxpool.Pool {
	if r.writers != nil {
		return r.writers
	}
	return r.pool
}

// insertDurable inserts events with one statement and one commit. Where
// the database's default synchronous_commit is off it turns it on for that
// transaction (in the same round trip): a read's event must survive a crash
// before the read is answered.
func (r *Recorder) insertDurable(ctx context.Context, events []Event) error {
	if r.syncByDefault.Load() {
		return insertEvents(ctx, r.writer(), events)
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT set_config('synchronous_commit', 'on', true)`)
	b.Queue(insertSQL, insertArgs(events)...)
	br := r.writer().SendBatch(ctx, b)
	_, err1 := br.Exec()
	_, err2 := br.Exec()
	err3 := br.Close()
	return errors.Join(err1, err2, err3)
}

const insertSQL = `
INSERT INTO audit_events (id, event_time, subject, organization_id, roles, method, case_id, classes, code, request_id, details)
SELECT x.id::uuid, x.t, x.s, x.o, x.r::text[], x.m, NULLIF(x.c, '')::uuid, x.cl::text[], x.code, x.rid, x.d::text[]
FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[],
            $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
     AS x(id, t, s, o, r, m, c, cl, code, rid, d)`

// insertEvents writes events with one statement (unnest of parallel
// arrays, so the statement text — and its prepared plan — is the same for
// any number of events).
func insertEvents(ctx context.Context, q db.Querier, events []Event) error {
	_, err := q.Exec(ctx, insertSQL, insertArgs(events)...)
	return err
}

func insertArgs(events []Event) []any {
	n := len(events)
	ids, subjects, orgs, roles := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	methods, cases, classes := make([]string, n), make([]string, n), make([]string, n)
	results, rids, details := make([]string, n), make([]string, n), make([]string, n)
	times := make([]time.Time, n)
	for i, e := range events {
		ids[i], times[i], subjects[i], orgs[i] = e.ID, e.Time, e.Subject, e.OrgID
		roles[i], methods[i], cases[i] = arrayLiteral(e.Roles), e.Method, e.CaseID
		classes[i], results[i], rids[i] = arrayLiteral(e.Classes), e.Code, e.RequestID
		details[i] = arrayLiteral(e.Details)
	}
	return []any{ids, times, subjects, orgs, roles, methods, cases, classes, results, rids, details}
}

// arrayLiteral encodes a text[] value ('{"a","b"}'), quoting every
// element so that no content can change the array's shape.
func arrayLiteral(elems []string) string {
	if len(elems) == 0 {
		return "{}"
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range elems {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, ch := range e {
			if ch == '"' || ch == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(ch)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}
