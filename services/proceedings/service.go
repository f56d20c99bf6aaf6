// Package proceedings implements ProceedingService: the court proceedings a
// lawyer takes on for the person of a case — stage, charges, protective
// measures, outcome — with their hearings and deadlines, and the lawyer's
// calendar across cases; and its PostgreSQL store.
//
// A proceeding holds no victim data in plain text. The one sensitive field,
// a hearing's notes, is in the legal class: sealed under the case key and
// returned only to those who do the legal work on the case.
package proceedings

import (
	"time"
	_ "time/tzdata" // court time zones are validated against an embedded database, not the host's

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/keys"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Service is the ProceedingService handler.
type Service struct {
	casebridgev1.UnimplementedProceedingServiceServer

	pool  *pgxpool.Pool
	authz *authz.Engine
	gate  *caseaccess.Gate
	keys  *keys.Manager
	audit *audit.Recorder
	now   func() time.Time
}

// New builds the service over its dependencies.
func New(pool *pgxpool.Pool, engine *authz.Engine, km *keys.Manager, rec *audit.Recorder) *Service {
	return &Service{pool: pool, authz: engine, gate: caseaccess.NewGate(engine), keys: km, audit: rec, now: time.Now}
}
