// Package supportplan owns the lifecycle of casework records: the support
// plan, its objectives and actions, and the services planned for and
// delivered to the person. Every status, every allowed move between
// statuses and every rule that ties a move to a date or to an approval is
// stated here once; services/casework asks, and names no status itself.
//
// The tables (each move not listed is FailedPrecondition naming both
// statuses):
//
//	plan       draft → active → completed             (caseworker)
//	           draft, active → cancelled              (caseworker)
//	           draft → awaiting approval              (a request for approval)
//	           awaiting approval → active | draft      (the supervisor's decision)
//	objective  open → achieved | partly achieved | not achieved | cancelled
//	           achieved, partly achieved, not achieved → open
//	action     planned → in progress → done; planned → done
//	           planned, in progress → cancelled
//	service    planned → in progress → delivered; planned → delivered
//	           planned, in progress → cancelled
//
// Where the organisation requires a supervisor's approval of support
// plans, draft → active by the caseworker is refused: the plan becomes
// active only when a supervisor approves it. A done action needs its
// actual date and a delivered service its delivered date, the figures'
// dates.
package supportplan
