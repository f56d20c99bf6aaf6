package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/casebridge/casebridge/internal/db"
)

// Scheduler is this replica's River client. Register workers and periodic
// jobs, then Start; Insert works from Start on.
type Scheduler struct {
	pool    *pgxpool.Pool
	log     *slog.Logger
	workers *river.Workers
	kinds   map[string]bool

	mu       sync.Mutex
	periodic []*river.PeriodicJob
	client   *river.Client[pgx.Tx]
	own      *pgxpool.Pool // the client's pool, closed by Stop
	opts     Options
}

// Options tune the client; the zero value is production's.
type Options struct {
	// PollInterval is how often the client looks for jobs besides the
	// notifications PostgreSQL sends on every insert (zero: one second).
	PollInterval time.Duration
	// MaxWorkers bounds the jobs this replica runs at once (zero: 4; the
	// jobs are database-bound and a replica serves calls too).
	MaxWorkers int
	// ID names this client in River's tables (zero: generated). Tests of
	// several replicas in one process name theirs.
	ID string
}

// New returns a scheduler over pool; log may be nil.
func New(pool *pgxpool.Pool, log *slog.Logger, opts Options) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{pool: pool, log: log.With("component", "scheduler"), workers: river.NewWorkers(), kinds: map[string]bool{}, opts: opts}
}

// Handle registers w for its argument type, which must be declared in
// jobs.go (so that the test over argument types sees it).
func Handle[T river.JobArgs](s *Scheduler, w river.Worker[T]) {
	var zero T
	if !isDeclared(reflect.TypeOf(zero)) {
		panic(fmt.Sprintf("scheduler: job arguments %T are not declared in internal/scheduler/jobs.go", zero))
	}
	river.AddWorker(s.workers, w)
	s.kinds[zero.Kind()] = true
}

// Every enqueues args every interval (and once when a leader is elected),
// unique within the period: a leader handed over mid-period, or two
// replicas that both believe they lead, enqueue the period's job once.
func (s *Scheduler) Every(interval time.Duration, args river.JobArgs) {
	period := max(interval, time.Second) // River's shortest unique period
	s.periodic = append(s.periodic, river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			return args, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: period}}
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: args.Kind()}))
}

// Start builds the client and starts working jobs until Stop.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	workers := s.opts.MaxWorkers
	if workers <= 0 {
		workers = 4
	}
	cfg := &river.Config{
		ID:                s.opts.ID,
		Logger:            s.log,
		Workers:           s.workers,
		PeriodicJobs:      s.periodic,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}},
		FetchPollInterval: s.opts.PollInterval,
		// Errors are the workers' to log, without arguments or values.
		ErrorHandler: &errorLog{log: s.log},
		// No job runs longer than JobTimeout (a key rotation works in
		// slices well within it, see keys.UseScheduler), so a job still
		// "running" twice that long belongs to a replica that died with
		// it: the leader's rescuer (every 30 s) makes it retryable, and
		// another replica takes it over within a few minutes rather than
		// River's default hour.
		JobTimeout:           JobTimeout,
		RescueStuckJobsAfter: RescueStuckJobsAfter,
	}
	if rescue := faultRescueAfter(); rescue > 0 {
		cfg.JobTimeout, cfg.RescueStuckJobsAfter = min(JobTimeout, rescue/2), rescue
		s.log.Warn("FAULT INJECTION: jobs of a dead replica are rescued early (unset "+FaultRescueAfterEnv+" in production)", "rescue_after", rescue)
	}
	pool, err := ownPool(ctx, s.pool, workers)
	if err != nil {
		return err
	}
	client, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		pool.Close()
		return fmt.Errorf("scheduler: %w", err)
	}
	if err := client.Start(ctx); err != nil {
		pool.Close()
		return fmt.Errorf("scheduler: start: %w", err)
	}
	s.client, s.own = client, pool
	return nil
}

// ownPool opens the scheduler's own small pool on the server's database,
// as the server's role. It differs in one respect: a cancelled wait ends at
// once. The server's pool gives a cancelled statement a grace period to be
// cancelled in PostgreSQL first, which turns every interrupted LISTEN wait
// of River's notifier into a stall of that grace period.
func ownPool(ctx context.Context, main *pgxpool.Pool, workers int) (*pgxpool.Pool, error) {
	cfg := main.Config()
	cfg.MaxConns = int32(workers + 4) // listener, fetches, completer, leader's maintenance
	cfg.MinConns = 0
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("scheduler: open pool: %w", err)
	}
	return pool, nil
}

// Stop lets running jobs finish for a few seconds, then cancels them (a
// cancelled job is retried, by this replica after a restart or by another)
// and waits for them to return.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	client, own := s.client, s.own
	s.client, s.own = nil, nil
	s.mu.Unlock()
	if client == nil {
		return
	}
	defer own.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Stop(ctx); err != nil {
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		if err := client.StopAndCancel(cctx); err != nil {
			s.log.Warn("background jobs did not stop in time", "error", err)
		}
	}
}

// JobTimeout bounds how long one run of any job may take: its context is
// cancelled then. RescueStuckJobsAfter is when a job still marked running
// is taken for one whose replica died.
const (
	JobTimeout           = time.Minute
	RescueStuckJobsAfter = 2 * JobTimeout
)

// ErrNotStarted is returned by Insert before Start or after Stop.
var ErrNotStarted = errors.New("scheduler: not started")

// Unique makes a job unique by its arguments among the jobs not yet
// finished: a second insert while one waits or runs is a no-op, and once it
// completed a new one may run.
var Unique = &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}}}

// Insert enqueues a job in q's transaction when q is one (the job exists
// only if the transaction commits), else on its own.
func (s *Scheduler) Insert(ctx context.Context, q db.Querier, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := s.InsertJob(ctx, q, args, opts)
	return err
}

// InsertJob is Insert returning River's answer: the job inserted or, when
// opts made it unique and one like it exists, that job
// (UniqueSkippedAsDuplicate).
func (s *Scheduler) InsertJob(ctx context.Context, q db.Querier, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	s.mu.Lock()
	client := s.client
	s.mu.Unlock()
	if client == nil {
		return nil, ErrNotStarted
	}
	var (
		res *rivertype.JobInsertResult
		err error
	)
	if tx, ok := q.(pgx.Tx); ok {
		res, err = client.InsertTx(ctx, tx, args, opts)
	} else {
		res, err = client.Insert(ctx, args, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("enqueue %s job: %w", args.Kind(), err)
	}
	return res, nil
}

// errorLog logs a failed job by kind and attempt only: its error text is
// the worker's own, which names no victim data.
type errorLog struct{ log *slog.Logger }

func (e *errorLog) HandleError(_ context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	e.log.Warn("background job failed", "kind", job.Kind, "job_id", job.ID, "attempt", job.Attempt, "error", err)
	return nil
}

func (e *errorLog) HandlePanic(_ context.Context, job *rivertype.JobRow, v any, _ string) *river.ErrorHandlerResult {
	e.log.Error("background job panicked", "kind", job.Kind, "job_id", job.ID, "attempt", job.Attempt, "panic", fmt.Sprint(v))
	return nil
}

// FaultRescueAfterEnv is a fault-injection knob, for the fault suite
// (faults/) only, unset (off) by default and announced in the log when
// set: a duration that replaces RescueStuckJobsAfter (and cuts every job
// off at half of it), so that a test of a replica killed mid-job sees the
// job taken again within seconds rather than minutes. Too short for a key
// rotation's slice: a test that sets it rotates no key.
const FaultRescueAfterEnv = "CASEBRIDGE_FAULT_JOB_RESCUE_AFTER"

func faultRescueAfter() time.Duration {
	d, err := time.ParseDuration(os.Getenv(FaultRescueAfterEnv))
	if err != nil || d <= 0 {
		return 0
	}
	return d
}
