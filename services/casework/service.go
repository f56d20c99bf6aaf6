// Package casework implements CaseworkService: a case's support plan
// (objectives and actions), the services planned for and delivered to the
// person, and the supervisor's approvals an organisation may require, with
// their PostgreSQL store.
//
// The lifecycles are internal/supportplan's and internal/approval's; who
// may reach a case is internal/caseaccess's; free text is sealed in the
// care class through the registry (vault.SupportPlanTexts and the others).
// Every mutation is one transaction that first locks the case row, so two
// changes of one case's casework never interleave.
package casework

import (
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/keys"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Service is the CaseworkService handler.
type Service struct {
	casebridgev1.UnimplementedCaseworkServiceServer

	pool  *pgxpool.Pool
	authz *authz.Engine
	gate  *caseaccess.Gate
	keys  *keys.Manager
	audit *audit.Recorder
	now   func() time.Time
}

// New builds the service; km seals and opens the casework texts under
// their case's key, rec records every change and every read of them.
func New(pool *pgxpool.Pool, engine *authz.Engine, km *keys.Manager, rec *audit.Recorder) *Service {
	return &Service{pool: pool, authz: engine, gate: caseaccess.NewGate(engine), keys: km, audit: rec, now: time.Now}
}
