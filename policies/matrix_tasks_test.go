package policies_test

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func init() { mergeProbes(taskProbes) }

func (w *world) tasks() casebridgev1.TaskServiceClient {
	return casebridgev1.NewTaskServiceClient(w.env.Conn)
}

// newTask is a follow-up due tomorrow on a fresh case of shelter-a.
func (w *world) newTask() fixture {
	fx := w.newCase("open")
	r, err := w.tasks().CreateTask(w.as("caseworker@shelter-a"), &casebridgev1.CreateTaskRequest{CaseId: fx.caseID,
		Title: "call the school", DueTime: timestamppb.New(time.Now().Add(24 * time.Hour))})
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	fx.taskID, fx.etag = r.GetTask().GetId(), r.GetTask().GetEtag()
	return fx
}

func onTask(w *world) fixture { return w.newTask() }

var taskProbes = map[string]probe{
	"TaskService/CreateTask": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.tasks().CreateTask(ctx, &casebridgev1.CreateTaskRequest{CaseId: fx.caseID, Title: "follow up",
			DueTime: timestamppb.New(time.Now().Add(time.Hour))})
		return err
	}},
	"TaskService/GetTask": {onTask, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.tasks().GetTask(ctx, &casebridgev1.GetTaskRequest{Id: fx.taskID})
		return err
	}},
	"TaskService/ListTasks": {onTask, func(w *world, ctx context.Context, fx fixture) error {
		resp, err := w.tasks().ListTasks(ctx, &casebridgev1.ListTasksRequest{PageSize: 500})
		if err != nil {
			return err
		}
		var ids []string
		for _, t := range resp.GetTasks() {
			ids = append(ids, t.GetId())
		}
		return notListedElsewhere(ctx, "task", fx.taskID, ids)
	}},
	"TaskService/CompleteTask": {onTask, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.tasks().CompleteTask(ctx, &casebridgev1.CompleteTaskRequest{Id: fx.taskID, Etag: fx.etag})
		return err
	}},
	"TaskService/SnoozeTask": {onTask, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.tasks().SnoozeTask(ctx, &casebridgev1.SnoozeTaskRequest{Id: fx.taskID, Etag: fx.etag,
			Until: timestamppb.New(time.Now().Add(48 * time.Hour))})
		return err
	}},
	"TaskService/WatchTasks": {none, func(w *world, ctx context.Context, _ fixture) error {
		ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		stream, err := w.tasks().WatchTasks(ctx, &casebridgev1.WatchTasksRequest{})
		if err != nil {
			return err
		}
		_, err = stream.Recv()
		if status.Code(err) == codes.DeadlineExceeded {
			return nil // open and waiting for events
		}
		return err
	}},
}
