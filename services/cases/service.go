// Package cases implements CaseService: a person's case from intake to
// closure — coded attributes, encrypted sensitive classes, notes, consents,
// the status lifecycle, erasure and bulk import — and its PostgreSQL store.
package cases

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/validation"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Service is the CaseService handler.
type Service struct {
	casebridgev1.UnimplementedCaseServiceServer

	pool      *pgxpool.Pool
	authz     *authz.Engine
	gate      *caseaccess.Gate
	keys      *keys.Manager
	validator *validation.Validator
	audit     *audit.Recorder
	now       func() time.Time
	budget    Budget
}

// New builds the service over its dependencies.
func New(pool *pgxpool.Pool, engine *authz.Engine, km *keys.Manager, v *validation.Validator, rec *audit.Recorder) *Service {
	return &Service{pool: pool, authz: engine, gate: caseaccess.NewGate(engine), keys: km, validator: v, audit: rec, now: time.Now}
}

// ValidatesOwnStream lists the streaming methods that validate each message
// themselves: a bad import row is rejected alone, not the whole stream.
var ValidatesOwnStream = []string{casebridgev1.CaseService_ImportCases_FullMethodName}

// access loads who owns case id and decides whether the caller may do act
// on obj there. A case the caller may not see is NotFound, exactly like one
// that does not exist.
func (s *Service) access(ctx context.Context, q db.Querier, p authz.Principal, id, obj, act string, lock bool) (authz.Access, error) {
	acc, _, err := s.gate.Check(ctx, q, p, id, obj, act, lock, caseNotFound(id))
	return acc, err
}

// decide is access for a case already loaded.
func (s *Service) decide(p authz.Principal, f caseaccess.Facts, obj, act string) (authz.Access, error) {
	return s.gate.Resolve(p, f, obj, act, caseNotFound(f.ID))
}

func caseNotFound(id string) error { return rpcerr.NotFound("case %s not found", id) }

// uuidField checks an id that the declared rules cannot reach (an id inside
// a resource message).
func uuidField(field, id string) error {
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return rpcerr.InvalidArgument(field, "must be a UUID")
	}
	return nil
}

// recordReturned records the read of case c as a response returns it,
// naming the classes it carries in clear; a response with none needs no
// event beyond the call's own.
func (s *Service) recordReturned(ctx context.Context, org string, c *casebridgev1.Case) error {
	classes := returnedClasses(c)
	if len(classes) == 0 {
		return nil
	}
	return s.audit.Read(ctx, org, c.GetId(), classes)
}

// returnedClasses lists the sensitive classes a response carries.
func returnedClasses(c *casebridgev1.Case) []dataclass.Class {
	var out []dataclass.Class
	for _, cl := range dataclass.All {
		if getClass(c, cl) != nil {
			out = append(out, cl)
		}
	}
	return out
}

// presentClasses lists the sensitive classes a stored case holds.
func presentClasses(r *caseRow) []dataclass.Class {
	var out []dataclass.Class
	for _, cl := range dataclass.All {
		if r.has(cl) {
			out = append(out, cl)
		}
	}
	return out
}
