// Package transfers implements TransferService: handing a whole case from
// its owner to another organisation, with the person's consent. The owner
// proposes, the receiver accepts or declines, the owner may cancel while
// the transfer is proposed (internal/transfer is the lifecycle). Accepting
// moves ownership, numbers the case in the receiver's series and re-keys it
// away from the former owner in one transaction; what the former owner
// still sees is the visibility rule's (internal/caseaccess).
package transfers

import (
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/transfer"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Service is the TransferService handler.
type Service struct {
	casebridgev1.UnimplementedTransferServiceServer

	pool  *pgxpool.Pool
	authz *authz.Engine
	gate  *caseaccess.Gate
	keys  *keys.Manager
	audit *audit.Recorder
}

// New builds the service.
func New(pool *pgxpool.Pool, engine *authz.Engine, km *keys.Manager, rec *audit.Recorder) *Service {
	return &Service{pool: pool, authz: engine, gate: caseaccess.NewGate(engine), keys: km, audit: rec}
}

// canonical spells an id the way PostgreSQL returns it: ids are bound into
// wrapped keys and ciphertexts, where capitals would name another case.
func canonical(id string) string { return strings.ToLower(id) }

// readOrgs are the organisations whose transfers the caller may read.
func (s *Service) readOrgs(p authz.Principal) []string {
	return s.authz.OrgsAllowed(p, transfer.Object, authz.ActRead)
}

// visible reports whether the caller may know that t exists: their
// organisation sent or received it.
func (s *Service) visible(p authz.Principal, t *transferRow) bool {
	orgs := s.readOrgs(p)
	return slices.Contains(orgs, t.From) || slices.Contains(orgs, t.To)
}

// mayMake decides whether the caller may make tr on t: someone outside
// both organisations does not learn that t exists (NotFound); someone who
// sees it but is on the wrong side, or whose role lacks the action, is
// refused.
func (s *Service) mayMake(p authz.Principal, t *transferRow, tr transfer.Transition) error {
	if !s.visible(p, t) {
		return transferNotFound(t.ID)
	}
	org, who := tr.ActingOrg(t.From, t.To), "receiving"
	if tr.By == transfer.Sender {
		who = "sending"
	}
	if !p.IsMember(org) {
		return rpcerr.PermissionDenied("only the %s organisation (%s) may %s transfer %s", who, org, tr.Verb, t.ID)
	}
	if !s.authz.Allowed(p, org, transfer.Object, tr.Act) {
		return rpcerr.PermissionDenied("your role in %s may not %s transfers", org, tr.Verb)
	}
	return nil
}

func caseNotFound(id string) error     { return rpcerr.NotFound("case %s not found", id) }
func transferNotFound(id string) error { return rpcerr.NotFound("transfer %s not found", id) }
