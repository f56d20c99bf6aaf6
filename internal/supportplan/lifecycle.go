package supportplan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The statuses, as the API names them; the number stored in each table's
// status column is the enum's value.
type (
	// PlanStatus is a support plan's status.
	PlanStatus = casebridgev1.SupportPlanStatus
	// ObjectiveStatus is an objective's status.
	ObjectiveStatus = casebridgev1.ObjectiveStatus
	// ActionStatus is an action's status.
	ActionStatus = casebridgev1.ActionStatus
	// ServiceStatus is a service's status.
	ServiceStatus = casebridgev1.ServiceStatus
)

// The statuses a new record starts in.
const (
	PlanDraft        = casebridgev1.SupportPlanStatus_SUPPORT_PLAN_STATUS_DRAFT
	PlanAwaiting     = casebridgev1.SupportPlanStatus_SUPPORT_PLAN_STATUS_AWAITING_APPROVAL
	PlanActive       = casebridgev1.SupportPlanStatus_SUPPORT_PLAN_STATUS_ACTIVE
	PlanCompleted    = casebridgev1.SupportPlanStatus_SUPPORT_PLAN_STATUS_COMPLETED
	PlanCancelled    = casebridgev1.SupportPlanStatus_SUPPORT_PLAN_STATUS_CANCELLED
	ObjectiveOpen    = casebridgev1.ObjectiveStatus_OBJECTIVE_STATUS_OPEN
	ActionPlanned    = casebridgev1.ActionStatus_ACTION_STATUS_PLANNED
	ServicePlanned   = casebridgev1.ServiceStatus_SERVICE_STATUS_PLANNED
	ServiceDelivered = casebridgev1.ServiceStatus_SERVICE_STATUS_DELIVERED
)

var (
	objAchieved    = casebridgev1.ObjectiveStatus_OBJECTIVE_STATUS_ACHIEVED
	objPartly      = casebridgev1.ObjectiveStatus_OBJECTIVE_STATUS_PARTLY_ACHIEVED
	objNotAchieved = casebridgev1.ObjectiveStatus_OBJECTIVE_STATUS_NOT_ACHIEVED
	objCancelled   = casebridgev1.ObjectiveStatus_OBJECTIVE_STATUS_CANCELLED
	actInProgress  = casebridgev1.ActionStatus_ACTION_STATUS_IN_PROGRESS
	actDone        = casebridgev1.ActionStatus_ACTION_STATUS_DONE
	actCancelled   = casebridgev1.ActionStatus_ACTION_STATUS_CANCELLED
	svcInProgress  = casebridgev1.ServiceStatus_SERVICE_STATUS_IN_PROGRESS
	svcCancelled   = casebridgev1.ServiceStatus_SERVICE_STATUS_CANCELLED
)

// enumStatus is what every status enum of the API is.
type enumStatus interface {
	~int32
	String() string
}

// Lifecycle is the transition table of one kind of record: from each
// status, the statuses a caller may move it to.
type Lifecycle[S enumStatus] struct {
	noun   string
	prefix string
	moves  map[S][]S
}

// The lifecycles a caller drives through the update methods. The plan's
// moves through an approval are Submit, Approve and Reject.
var (
	Plan = Lifecycle[PlanStatus]{"support plan", "SUPPORT_PLAN_STATUS_", map[PlanStatus][]PlanStatus{
		PlanDraft:  {PlanActive, PlanCancelled},
		PlanActive: {PlanCompleted, PlanCancelled},
	}}
	Objective = Lifecycle[ObjectiveStatus]{"objective", "OBJECTIVE_STATUS_", map[ObjectiveStatus][]ObjectiveStatus{
		ObjectiveOpen:  {objAchieved, objPartly, objNotAchieved, objCancelled},
		objAchieved:    {ObjectiveOpen},
		objPartly:      {ObjectiveOpen},
		objNotAchieved: {ObjectiveOpen},
	}}
	Action = Lifecycle[ActionStatus]{"action", "ACTION_STATUS_", map[ActionStatus][]ActionStatus{
		ActionPlanned: {actInProgress, actDone, actCancelled},
		actInProgress: {actDone, actCancelled},
	}}
	Service = Lifecycle[ServiceStatus]{"service", "SERVICE_STATUS_", map[ServiceStatus][]ServiceStatus{
		ServicePlanned: {svcInProgress, ServiceDelivered, svcCancelled},
		svcInProgress:  {ServiceDelivered, svcCancelled},
	}}
)

// Check reports whether a record in status from may be moved to to; when
// it may not, FailedPrecondition naming both statuses. Staying in the same
// status is no move and always allowed.
func (l Lifecycle[S]) Check(from, to S) error {
	if from == to || slices.Contains(l.moves[from], to) {
		return nil
	}
	return rpcerr.FailedPrecondition("cannot move a %s that is %s to %s: %s → %s is not allowed (from %s: %s)",
		l.noun, l.Word(from), l.Word(to), l.Word(from), l.Word(to), l.Word(from), l.words(l.moves[from]))
}

// Word is s as lowercase words ("in progress"), for messages.
func (l Lifecycle[S]) Word(s S) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(s.String(), l.prefix), "_", " "))
}

func (l Lifecycle[S]) words(ss []S) string {
	if len(ss) == 0 {
		return "none, it is final"
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = l.Word(s)
	}
	return strings.Join(out, ", ")
}

// InProgress reports whether a plan in status s is still being worked
// on: only such a plan takes new objectives and actions, and a case has at
// most one.
func InProgress(s PlanStatus) bool {
	return s == PlanDraft || s == PlanAwaiting || s == PlanActive
}

// Editable reports whether a plan's content (summary, review date,
// objectives, actions) may change in status s: while in progress, except
// while a supervisor is deciding on it, and — where the organisation
// requires a supervisor's approval of plans — once approved: what the
// supervisor approved is what takes effect, so an approved plan changes
// only through a new plan and a new approval.
func Editable(s PlanStatus, approvalRequired bool) bool {
	return s == PlanDraft || (s == PlanActive && !approvalRequired)
}

// CheckEditable is Editable as the error a caller sees.
func CheckEditable(s PlanStatus, approvalRequired bool) error {
	if Editable(s, approvalRequired) {
		return nil
	}
	switch s {
	case PlanAwaiting:
		return rpcerr.FailedPrecondition("the support plan is awaiting a supervisor's approval: it cannot change until it is decided")
	case PlanActive:
		return rpcerr.FailedPrecondition("the support plan was approved as it stands and your organisation requires a supervisor's approval of support plans: to change it, complete or cancel it, start a new plan and request a new approval")
	}
	return rpcerr.FailedPrecondition("the support plan is %s: start a new plan instead", Plan.Word(s))
}

// CheckActivate refuses a caller's draft → active when the organisation
// requires a supervisor's approval of support plans: then only an
// approval activates a plan.
func CheckActivate(from, to PlanStatus, approvalRequired bool) error {
	if err := Plan.Check(from, to); err != nil {
		return err
	}
	if from == PlanDraft && to == PlanActive && approvalRequired {
		return rpcerr.FailedPrecondition("your organisation requires a supervisor's approval of support plans: request one (RequestApproval) instead of activating the plan")
	}
	return nil
}

// A plan's moves through an approval.
var (
	// Submit: a request for approval of a draft plan.
	Submit = approvalMove{"ask approval of", PlanDraft, PlanAwaiting}
	// Approve: a supervisor approved the plan.
	Approve = approvalMove{"approve", PlanAwaiting, PlanActive}
	// Reject: a supervisor rejected it; it is a draft again, to be reworked.
	Reject = approvalMove{"reject", PlanAwaiting, PlanDraft}
)

type approvalMove struct {
	verb     string
	from, to PlanStatus
}

// To is the status the move leads to.
func (m approvalMove) To() PlanStatus { return m.to }

// Check reports whether the move may start from s.
func (m approvalMove) Check(s PlanStatus) error {
	if s == m.from {
		return nil
	}
	return rpcerr.FailedPrecondition("cannot %s a support plan that is %s: %s → %s is not allowed (only from %s)",
		m.verb, Plan.Word(s), Plan.Word(s), Plan.Word(m.to), Plan.Word(m.from))
}

// CheckActionDates requires a done action to say when it was done.
func CheckActionDates(s ActionStatus, actualDate string) error {
	if s == actDone && actualDate == "" {
		return rpcerr.InvalidArgument("action.actual_date", "is required for a done action")
	}
	return nil
}

// CheckServiceDates requires a delivered service to say when it was
// delivered, and only a delivered one to have a delivered date: the
// date is what time-to-service is measured by.
func CheckServiceDates(s ServiceStatus, deliveredDate string) error {
	switch {
	case s == ServiceDelivered && deliveredDate == "":
		return rpcerr.InvalidArgument("service.delivered_date", "is required for a delivered service")
	case s != ServiceDelivered && deliveredDate != "":
		return rpcerr.InvalidArgument("service.delivered_date", "only a delivered service has a delivered date (status is %s)", Service.Word(s))
	}
	return nil
}

// NewServiceStatus checks the status a service is added in: planned, or
// already delivered.
func NewServiceStatus(s ServiceStatus) error {
	if s == ServicePlanned || s == ServiceDelivered {
		return nil
	}
	return rpcerr.InvalidArgument("service.status", "a service is added planned or delivered, not %s", Service.Word(s))
}

// Delivered reports whether a service in status s was delivered.
func Delivered(s ServiceStatus) bool { return s == ServiceDelivered }

// DeliveredSQL is the condition "the service aliased v was delivered":
// the SQL twin of Delivered, for the figures.
func DeliveredSQL(v string) string {
	return fmt.Sprintf("%s.status = %d AND %s.delivered_date IS NOT NULL", v, int32(ServiceDelivered), v)
}
