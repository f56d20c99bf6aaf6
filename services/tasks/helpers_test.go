package tasks_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const (
	caseworker = "caseworker@shelter-a"
	supervisor = "supervisor@shelter-a"
	otherCW    = "caseworker@cso-c"
	lawyer     = "lawyer@legal-b"
)

type world struct {
	t   *testing.T
	env *servertest.Env
	ts  casebridgev1.TaskServiceClient
}

func start(t *testing.T, opts ...servertest.Option) *world {
	env := servertest.Start(t, append([]servertest.Option{func(c *server.Config) { c.TaskSweep = time.Hour }}, opts...)...)
	return &world{t: t, env: env, ts: casebridgev1.NewTaskServiceClient(env.Conn)}
}

func (w *world) as(subject string) context.Context { return w.env.As(w.t, subject) }

func (w *world) newCase() string { return w.env.NewMarkedCase(w.t) }

func (w *world) task(caseID, title string, due time.Duration) *casebridgev1.Task {
	w.t.Helper()
	r, err := w.ts.CreateTask(w.as(caseworker), &casebridgev1.CreateTaskRequest{CaseId: caseID, Title: title,
		Notes: "notes about " + title, DueTime: timestamppb.New(time.Now().Add(due)), Assignee: caseworker})
	if err != nil {
		w.t.Fatalf("create task: %v", err)
	}
	return r.GetTask()
}
