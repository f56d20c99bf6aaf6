package tasks

import (
	"context"
	"errors"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/authz"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

var errShuttingDown = status.Error(codes.Unavailable, "the server is shutting down: reconnect and resynchronise with ListTasks")

var errTooSlow = status.Error(codes.ResourceExhausted, "the stream fell behind and lost task changes: reconnect and resynchronise with ListTasks")

// WatchTasks streams the changes to the tasks of the caller's
// organisations as they commit. The event names the task and its plain
// fields only; its title and notes are read with GetTask. The stream ends
// when the server's interceptors end the call (the caller's token expired,
// their membership changed), like WatchReferrals; each event is checked
// against the caller's access to the task's case before it is sent.
func (s *Service) WatchTasks(req *casebridgev1.WatchTasksRequest, stream grpc.ServerStreamingServer[casebridgev1.WatchTasksResponse]) error {
	ctx := stream.Context()
	p, err := authz.Caller(ctx)
	if err != nil {
		return err
	}
	orgs, err := s.authz.ListOrgs(p, listScope, req.GetOrganizationId())
	if err != nil {
		return err
	}
	w, err := s.hub.subscribe(ctx, orgs)
	if err != nil {
		return context.Cause(ctx)
	}
	defer s.hub.unsubscribe(w)
	if err := stream.SendHeader(nil); err != nil {
		return err
	}
	for {
		var id string
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-s.hub.ctx.Done():
			return errShuttingDown
		case <-w.lost:
			return errTooSlow
		case id = <-w.ch:
		}
		ev, err := s.taskEvent(ctx, p, id)
		if err != nil {
			return err
		}
		if ev == nil {
			continue
		}
		if ctx.Err() != nil {
			return context.Cause(ctx) // access ended: not one event more
		}
		if err := stream.Send(&casebridgev1.WatchTasksResponse{Event: ev}); err != nil {
			return err
		}
	}
}

// taskEvent describes task id as it now stands, or nil when the caller may
// no longer read it.
func (s *Service) taskEvent(ctx context.Context, p authz.Principal, id string) (*casebridgev1.TaskEvent, error) {
	t, err := s.getTask(ctx, s.pool, id, false, false)
	if err != nil {
		if status.Code(err) == codes.NotFound {
			return nil, nil
		}
		return nil, err
	}
	acc, f, err := s.gate.Check(ctx, s.pool, p, t.CaseID, objTask, actRead, false, taskNotFound(id))
	if err != nil {
		var st interface{ GRPCStatus() *status.Status }
		if errors.As(err, &st) {
			return nil, nil
		}
		return nil, err
	}
	// An erased case's tasks are closed with it and told to nobody; a
	// transferred case's tasks are its new owner's.
	if f.Erased || acc.Org != t.Org {
		return nil, nil
	}
	kind := casebridgev1.TaskEventKind_TASK_EVENT_KIND_CREATED
	at := t.CreateTime
	switch {
	case t.CompleteTime != nil:
		kind, at = casebridgev1.TaskEventKind_TASK_EVENT_KIND_COMPLETED, *t.CompleteTime
	case t.Version > 1:
		kind, at = casebridgev1.TaskEventKind_TASK_EVENT_KIND_SNOOZED, t.UpdateTime
	}
	due := t.Due
	if !s.courtReadable(p, f, t.Kind) {
		due = shownDue(t.Kind, due) // the day, as ListTasks shows it
	}
	return &casebridgev1.TaskEvent{Kind: kind, TaskId: t.ID, CaseId: t.CaseID, OrganizationId: t.Org,
		TaskKind: t.Kind, DueTime: timestamppb.New(due), Assignee: t.Assignee, EventTime: timestamppb.New(at)}, nil
}
