// Package stats implements StatsService: anonymised counts of cases and
// monitoring indicators across every organisation, for coordinators. It
// reads coded attributes and litigation status only, never a sensitive
// class, and every figure goes through internal/disclosure before it
// leaves: small counts are withheld, and so is whatever would let them be
// worked out from the totals or from a broader query.
package stats

import (
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/disclosure"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// DefaultK is the suppression threshold when none is configured: counts
// below it are withheld. Five is the usual minimum cell size of
// statistical offices for counts of persons.
const DefaultK = 5

// Service is the StatsService handler.
type Service struct {
	casebridgev1.UnimplementedStatsServiceServer

	pool    *pgxpool.Pool
	k       int64
	authz   *authz.Engine
	privacy Privacy
	store   budgetStore
	cache   *answerCache
	now     func() time.Time
	// lastAudit is the audit report of the last table counted afresh.
	lastAudit atomic.Pointer[disclosure.AuditReport]
}

// objStats is the policy object of statistics.
const objStats = "stats"

// Option configures the service beyond its threshold.
type Option func(*Service)

// WithPrivacy turns the noisy mode on: engine tells which coordinating
// bodies a caller reads statistics in (whose budgets pay), p sets the
// budgets. Without it a noisy query is refused.
func WithPrivacy(engine *authz.Engine, p Privacy) Option {
	return func(s *Service) { s.authz, s.privacy = engine, p }
}

// New builds the service. k is the suppression threshold; a value below 2
// (which would publish single cases) means DefaultK.
func New(pool *pgxpool.Pool, k int, opts ...Option) *Service {
	if k < 2 {
		k = DefaultK
	}
	s := &Service{pool: pool, k: int64(k), privacy: DefaultPrivacy(), store: budgetStore{pool},
		cache: newAnswerCache(defaultCacheEntries, defaultCacheCells), now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}
