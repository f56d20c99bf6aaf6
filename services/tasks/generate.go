package tasks

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/casebridge/casebridge/internal/scheduler"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Generator raises one kind of system task. Select is a query over the
// organisations' settings, available as the relation s (columns
// organization_id, consent_notice_days, referral_pending_days,
// deadline_notice_days, review_notice_days), returning one row per task to
// raise: case_id (uuid), organization_id (the case's owner), source_id (the
// uuid of what the task is about) and due_time (timestamptz). Rows of an
// erased case are dropped; a task already raised for the same kind, source
// and due time is not raised again, so Select may return it on every sweep.
type Generator struct {
	Kind   casebridgev1.TaskKind
	Select string
}

var (
	generatorsMu sync.Mutex
	generators   = builtinGenerators()
)

// RegisterGenerator adds a generator of system tasks to the built-in ones
// (builtinGenerators). Call it before the server starts.
func RegisterGenerator(g Generator) {
	generatorsMu.Lock()
	defer generatorsMu.Unlock()
	generators = append(generators, g)
}

func allGenerators() []Generator {
	generatorsMu.Lock()
	defer generatorsMu.Unlock()
	return append([]Generator(nil), generators...)
}

// RaiseTasks runs every generator once and reports how many tasks it
// raised. Replicas may run it at once: the unique (kind, source, due time)
// lets one insert win.
func RaiseTasks(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	total := 0
	for _, g := range allGenerators() {
		n, err := raise(ctx, pool, g)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// Schedule registers the task sweep with the scheduler: every interval
// (one replica per period) RaiseTasks runs.
func Schedule(s *scheduler.Scheduler, pool *pgxpool.Pool, log *slog.Logger, interval time.Duration) {
	scheduler.Handle(s, &sweepWorker{pool: pool, log: log})
	s.Every(interval, scheduler.TaskSweepArgs{})
}

type sweepWorker struct {
	river.WorkerDefaults[scheduler.TaskSweepArgs]
	pool *pgxpool.Pool
	log  *slog.Logger
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[scheduler.TaskSweepArgs]) error {
	n, err := RaiseTasks(ctx, w.pool)
	if n > 0 {
		w.log.Info("raised system tasks", "tasks", n)
	}
	if err != nil && ctx.Err() == nil {
		w.log.Warn("raising system tasks failed", "error", err)
	}
	return nil
}
