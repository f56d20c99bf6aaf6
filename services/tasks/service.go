// Package tasks implements TaskService: the follow-ups on a case that
// members write down and those the scheduler raises by itself (generate.go),
// the overdue and due-soon lists, completing and snoozing, and the stream of
// task changes; and its PostgreSQL store.
//
// A task is about a case and belongs to the case's owner. Its title and
// notes are free text about the person, sealed in the care class
// (vault.TaskTexts): a response that carries them is an audited read of
// that class, and a caller who may not read care sees them redacted.
// Everything else — kind, due time, assignee, what a system task is about —
// is plain, so the scheduler and the e-mail digests count tasks without
// opening any.
package tasks

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/keys"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Service is the TaskService handler.
type Service struct {
	casebridgev1.UnimplementedTaskServiceServer

	pool  *pgxpool.Pool
	authz *authz.Engine
	gate  *caseaccess.Gate
	keys  *keys.Manager
	audit *audit.Recorder
	hub   *hub
	now   func() time.Time
}

// New builds the service over its dependencies; streams end when ctx does.
// Task changes are heard on l, the process's listener (nil: one of the
// service's own).
func New(ctx context.Context, pool *pgxpool.Pool, engine *authz.Engine, km *keys.Manager, rec *audit.Recorder, log *slog.Logger, l *db.Listener) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{pool: pool, authz: engine, gate: caseaccess.NewGate(engine), keys: km, audit: rec,
		hub: newHub(ctx, pool, log, l), now: time.Now}
}

// Policy object and actions of this service (policies/methods.csv).
const (
	objTask   = "task"
	actCreate = "create"
	actRead   = "read"
	actUpdate = "update"
)

// listScope is what ListTasks and WatchTasks cover: the tasks of the
// caller's organisations where they may read them (or of the one named).
var listScope = authz.Scope{Obj: objTask, Act: actRead, Plural: "tasks"}
