package casework

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/vault"
)

// Policy objects of this service (policies/methods.csv); approvals are
// internal/approval's.
const (
	objPlan    = "support_plan"
	objService = "support_service"
	actCreate  = "create"
	actRead    = "read"
	actUpdate  = "update"
)

// careClass is the class of every text of this service.
var careClass = vault.SupportPlanTexts.Class()

// named says what a request named: the case itself, or one of its
// records (a plan, objective, action, service, approval).
type named int

const (
	namedCase named = iota
	namedRecord
)

// access decides whether p may do act on obj of case caseID; lock also
// locks the case row for the caller's transaction. A case p may not see is
// notFound. Casework is care data, so p's access must include reading the
// care class — an organisation working on the case by referral only when
// the referral grants it — and a change also writing it: otherwise
// PermissionDenied when the request named the case (p sees the case
// anyway), notFound when it named a record, whose id must not confirm
// that it exists.
func (s *Service) access(ctx context.Context, q db.Querier, p authz.Principal, caseID, obj, act string, lock bool, what named, notFound error) (authz.Access, caseaccess.Facts, error) {
	audit.SetCase(ctx, caseID)
	check := s.gate.Check
	if what == namedRecord {
		check = s.gate.CheckRecord
	}
	acc, f, err := check(ctx, q, p, caseID, obj, act, lock, notFound)
	if err != nil {
		return authz.Access{}, caseaccess.Facts{}, err
	}
	audit.SetOrg(ctx, acc.Org)
	care := acc.CanRead(careClass)
	if care && act != actRead {
		care = s.authz.Allowed(p, acc.Org, string(careClass), authz.ActWrite)
	}
	if !care {
		if what == namedRecord {
			return authz.Access{}, caseaccess.Facts{}, notFound
		}
		return authz.Access{}, caseaccess.Facts{}, rpcerr.PermissionDenied("the casework of case %s is care data, which you may not %s here", caseID, verb(act))
	}
	return acc, f, nil
}

func verb(act string) string {
	if act == actRead {
		return "read"
	}
	return "write"
}

// careIf is the care class when b holds, else none.
func careIf(b bool) []dataclass.Class {
	if b {
		return []dataclass.Class{careClass}
	}
	return nil
}

func caseNotFound(id string) error      { return rpcerr.NotFound("case %s not found", id) }
func planNotFound(id string) error      { return rpcerr.NotFound("support plan %s not found", id) }
func objectiveNotFound(id string) error { return rpcerr.NotFound("objective %s not found", id) }
func actionNotFound(id string) error    { return rpcerr.NotFound("action %s not found", id) }
func serviceNotFound(id string) error   { return rpcerr.NotFound("service %s not found", id) }
func approvalNotFound(id string) error  { return rpcerr.NotFound("approval %s not found", id) }

// recordChange writes the audit event of a change in the change's own
// transaction (both commit or neither does), naming the care class when
// the change wrote care text.
func (s *Service) recordChange(ctx context.Context, tx pgx.Tx, org, caseID string, written bool) error {
	return s.audit.InTx(ctx, tx, org, caseID, careIf(written))
}

// recordRead writes the audit event of a read of case caseID's casework,
// naming the care class when the answer carries care text in clear;
// durable before it returns: a handler must not answer if it fails.
func (s *Service) recordRead(ctx context.Context, org, caseID string, care bool) error {
	return s.audit.Read(ctx, org, caseID, careIf(care))
}

// recordReturned records the read of the care text a change's answer
// carries (returned) unless its change event already names the class
// (written): a retried create, or an update of a status, still hands
// back text in clear.
func (s *Service) recordReturned(ctx context.Context, org, caseID string, written, returned bool) error {
	if !returned || written {
		return nil
	}
	return s.recordRead(ctx, org, caseID, true)
}
