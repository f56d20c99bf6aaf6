package tasks

import (
	"time"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The task lifecycle, stated once: open → snoozed (until a time) → open
// again when that time passes; open or snoozed → done, which is final. A
// task stores only whether and when it was completed and until when it is
// snoozed; its status is read from those at a given instant.

// Status is task status at now.
func Status(done bool, snoozeUntil *time.Time, now time.Time) casebridgev1.TaskStatus {
	switch {
	case done:
		return casebridgev1.TaskStatus_TASK_STATUS_DONE
	case snoozeUntil != nil && snoozeUntil.After(now):
		return casebridgev1.TaskStatus_TASK_STATUS_SNOOZED
	}
	return casebridgev1.TaskStatus_TASK_STATUS_OPEN
}

// Action is a change a member makes to a task.
type Action int

// The actions.
const (
	ActComplete Action = iota + 1
	ActSnooze
)

func (a Action) String() string {
	switch a {
	case ActComplete:
		return "complete"
	case ActSnooze:
		return "snooze"
	}
	return "unknown"
}

// transitions says from which statuses each action may be taken.
var transitions = map[Action][]casebridgev1.TaskStatus{
	ActComplete: {casebridgev1.TaskStatus_TASK_STATUS_OPEN, casebridgev1.TaskStatus_TASK_STATUS_SNOOZED},
	ActSnooze:   {casebridgev1.TaskStatus_TASK_STATUS_OPEN, casebridgev1.TaskStatus_TASK_STATUS_SNOOZED},
}

// Allowed reports whether action a may be taken on a task in status s.
func Allowed(a Action, s casebridgev1.TaskStatus) bool {
	for _, from := range transitions[a] {
		if from == s {
			return true
		}
	}
	return false
}

// OpenSQL is the condition "the task aliased t is not done" — the Go twin
// is Status(...) != DONE.
func OpenSQL(t string) string { return t + ".complete_time IS NULL" }

// AwakeSQL is the condition "the open task aliased t is not snoozed at $n".
func AwakeSQL(t, now string) string {
	return "(" + t + ".snooze_until IS NULL OR " + t + ".snooze_until <= " + now + ")"
}
