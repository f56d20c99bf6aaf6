// Package approval owns a supervisor's approvals: what can be asked for
// (a support plan, the closure of a case), the lifecycle of a request,
// who may decide it, whether an organisation requires one, and the gate a
// closure passes through when it does.
//
//	pending → approved | rejected          (a supervisor other than the one who asked or wrote the plan)
//	approved → used                        (a closure of the case used the approval)
//	pending | approved → rejected          (withdrawn: the case was erased, or reopened for a closure)
//
// A request names its subject; for a support plan the plan moves with it
// (internal/supportplan: Submit, Approve, Reject). An approved closure is
// used once: any close uses it, required or not, and a reopen withdraws an
// unused one, so a case reopened and closed again needs a new approval.
package approval
