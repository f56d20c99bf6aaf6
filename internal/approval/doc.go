// Package approval owns a supervisor's approvals: what can be asked for
// (a support plan, the closure of a case), the lifecycle of a request,
// who may decide it, whether an organisation requires one, and the gate a
// closure passes through when it does.
//
//	pending → approved | rejected          (a supervisor other than the one who asked)
//	approved → used                        (a closure of the case used the approval)
//
// A request names its subject; for a support plan the plan moves with it
// (internal/supportplan: Submit, Approve, Reject). An approved closure is
// used once: a case reopened and closed again needs a new approval.
package approval
