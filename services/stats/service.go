// Package stats implements StatsService: anonymised counts of cases and
// monitoring indicators across every organisation, for coordinators. It
// reads coded attributes and litigation status only, never a sensitive
// class, and every figure goes through internal/disclosure before it
// leaves: small counts are withheld, and so is whatever would let them be
// worked out from the totals or from a broader query.
package stats

import (
	"github.com/jackc/pgx/v5/pgxpool"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// DefaultK is the suppression threshold when none is configured: counts
// below it are withheld. Five is the usual minimum cell size of
// statistical offices for counts of persons.
const DefaultK = 5

// Service is the StatsService handler.
type Service struct {
	casebridgev1.UnimplementedStatsServiceServer

	pool *pgxpool.Pool
	k    int64
}

// New builds the service. k is the suppression threshold; a value below 2
// (which would publish single cases) means DefaultK.
func New(pool *pgxpool.Pool, k int) *Service {
	if k < 2 {
		k = DefaultK
	}
	return &Service{pool: pool, k: int64(k)}
}
