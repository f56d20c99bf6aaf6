package tasks

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// System tasks about court data. A hearing tomorrow or a deadline due is
// raised for the case's owner, and the members who see the owner's tasks —
// caseworkers and supervisors — are not, as such, the ones who reach the
// court data (caseaccess: the legal-work rule; the policy: hearings and
// deadlines are for lawyers). They still see that such a task exists, so
// that the shelter can plan the person's day, but only on which day (UTC)
// it falls: the exact time and the id of the hearing or deadline are shown
// only to a caller the gate lets read that hearing or deadline.

// courtObject is the court-data object (caseaccess.ObjHearing, ...) a
// system task of kind k is about, or "" when it is about none.
func courtObject(k casebridgev1.TaskKind) string {
	switch k {
	case casebridgev1.TaskKind_TASK_KIND_HEARING_TOMORROW:
		return caseaccess.ObjHearing
	case casebridgev1.TaskKind_TASK_KIND_DEADLINE_DUE:
		return caseaccess.ObjDeadline
	}
	return ""
}

// courtKinds lists the kinds courtObject names an object for.
var courtKinds = []casebridgev1.TaskKind{casebridgev1.TaskKind_TASK_KIND_HEARING_TOMORROW, casebridgev1.TaskKind_TASK_KIND_DEADLINE_DUE}

// shownDue is the due time of a task as every list orders, filters and
// pages by it: for a task about court data, the start of its day (UTC), so
// that neither the order of a page, nor a page token, nor the moment it
// turns overdue tells anyone the hour of a hearing. ListDueSQL is its SQL
// twin: change them together.
func shownDue(k casebridgev1.TaskKind, due time.Time) time.Time {
	if courtObject(k) == "" {
		return due
	}
	y, m, d := due.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ListDueSQL is shownDue as SQL, for a query over tasks aliased t.
func ListDueSQL(t string) string {
	kinds := ""
	for i, k := range courtKinds {
		if i > 0 {
			kinds += ", "
		}
		kinds += fmt.Sprint(int16(k))
	}
	return fmt.Sprintf(`(CASE WHEN %[1]s.kind IN (%[2]s) THEN date_trunc('day', %[1]s.due_time, 'UTC') ELSE %[1]s.due_time END)`, t, kinds)
}

// courtReadable reports whether p may read the court data a task of kind k
// on the case f describes is about (true when it is about none): the
// gate's decision, with the legal-work rule, on that hearing or deadline.
func (s *Service) courtReadable(p authz.Principal, f caseaccess.Facts, k casebridgev1.TaskKind) bool {
	obj := courtObject(k)
	if obj == "" {
		return true
	}
	_, err := s.gate.Decide(p, f, obj, authz.ActRead)
	return err == nil
}

// withholdCourt takes out of a task what belongs to the court data it is
// about: the exact due time (the day stays) and the id of the hearing or
// deadline.
func withholdCourt(t *casebridgev1.Task) {
	t.DueTime = timestamppb.New(shownDue(t.GetKind(), t.GetDueTime().AsTime()))
	t.SourceId = ""
}
