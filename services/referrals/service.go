// Package referrals implements ReferralService: one organisation asking
// another to provide a service to the person of a case, and the sharing of
// the case that an accepted referral grants — within the person's consent,
// the classes the referral names and the receiver's roles — until it ends.
// Every change is also written to the referral event outbox, from which
// WatchReferrals streams it to both organisations.
package referrals

import (
	"context"
	"log/slog"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Service is the ReferralService handler.
type Service struct {
	casebridgev1.UnimplementedReferralServiceServer

	pool  *pgxpool.Pool
	authz *authz.Engine
	gate  *caseaccess.Gate
	keys  *keys.Manager
	audit *audit.Recorder
	hub   *hub
}

// New builds the service. Watchers are woken through l, the process's
// listener (db.Listener; nil: the service keeps a listener of its own,
// started on the first WatchReferrals). ctx bounds the watches and that
// listener: pass the server's lifetime context.
func New(ctx context.Context, pool *pgxpool.Pool, engine *authz.Engine, km *keys.Manager, log *slog.Logger, rec *audit.Recorder, l *db.Listener) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{pool: pool, authz: engine, gate: caseaccess.NewGate(engine), keys: km, audit: rec, hub: newHub(ctx, pool, log.With("component", "referrals"), l)}
}

// The policy object of every ReferralService permission.
const objReferral = "referral"

// canonical spells an id the way PostgreSQL returns it: ids are bound into
// wrapped keys and ciphertexts, where capitals would name another case.
func canonical(id string) string { return strings.ToLower(id) }

// caseAccess loads who owns case id and decides whether the caller may do
// act on obj there; a case the caller may not see is NotFound, exactly like
// one that does not exist. With lock, the case row stays locked for tx.
func (s *Service) caseAccess(ctx context.Context, q db.Querier, p authz.Principal, id, obj, act string, lock bool) (authz.Access, error) {
	audit.Concerns(ctx, "", id)
	acc, _, err := s.gate.Check(ctx, q, p, id, obj, act, lock, caseNotFound(id))
	if err != nil {
		return authz.Access{}, err
	}
	audit.Concerns(ctx, acc.Org, "")
	return acc, nil
}

// readOrgs are the organisations whose referrals the caller may read.
func (s *Service) readOrgs(p authz.Principal) []string {
	return s.authz.OrgsAllowed(p, objReferral, authz.ActRead)
}

// visible reports whether the caller may know that r exists: their
// organisation sent or received it.
func (s *Service) visible(p authz.Principal, r *referralRow) bool {
	return s.readerOrg(p, r) != ""
}

// readerOrg is the organisation through which the caller sees r: the
// referring one when they may read referrals there, else the receiving
// one; "" when neither.
func (s *Service) readerOrg(p authz.Principal, r *referralRow) string {
	orgs := s.readOrgs(p)
	switch {
	case slices.Contains(orgs, r.From):
		return r.From
	case slices.Contains(orgs, r.To):
		return r.To
	}
	return ""
}

// What WatchReferrals and ListReferrals cover: the referrals of the
// caller's organisations where they may read them; a list is of one
// organisation, which a caller in several must name.
var (
	watchScope = authz.Scope{Obj: objReferral, Act: authz.ActRead, Plural: "referrals"}
	listScope  = authz.Scope{Obj: objReferral, Act: authz.ActRead, Plural: "referrals", Single: true}
)

func caseNotFound(id string) error     { return rpcerr.NotFound("case %s not found", id) }
func referralNotFound(id string) error { return rpcerr.NotFound("referral %s not found", id) }
