// Package compensation implements CompensationService: a victim's
// compensation claims from draft to what was actually paid, with an
// append-only ledger of payments, and its PostgreSQL store.
//
// Money is integer minor units of one ISO 4217 currency per claim; there is
// no floating point anywhere between the API and the database. The gap
// between awarded and paid is what monitoring networks report, so the
// ledger is never changed or deleted (a trigger refuses it): mistakes are
// fixed by correction entries.
package compensation

import (
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/keys"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Service is the CompensationService handler.
type Service struct {
	casebridgev1.UnimplementedCompensationServiceServer

	pool  *pgxpool.Pool
	authz *authz.Engine
	gate  *caseaccess.Gate
	audit *audit.Recorder
	keys  *keys.Manager
	now   func() time.Time
}

// New builds the service over its dependencies; km seals and opens the
// free text of claims and payments under their case's key.
func New(pool *pgxpool.Pool, engine *authz.Engine, km *keys.Manager, rec *audit.Recorder) *Service {
	return &Service{pool: pool, authz: engine, gate: caseaccess.NewGate(engine), keys: km, audit: rec, now: time.Now}
}
