package stats

import (
	"context"
	"math/big"
	"time"

	"github.com/casebridge/casebridge/internal/disclosure/noise"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// GetPrivacyBudget shows what the noisy queries of the current period have
// spent of the population's budget (all networks together), the network's
// and the caller's own (in every network).
func (s *Service) GetPrivacyBudget(ctx context.Context, req *casebridgev1.GetPrivacyBudgetRequest) (*casebridgev1.GetPrivacyBudgetResponse, error) {
	nq, err := s.noisyCaller(ctx, req.GetNetwork(), "GetPrivacyBudget")
	if err != nil {
		return nil, err
	}
	start, next := s.privacy.Period.bounds(s.now())
	sp, err := s.store.show(ctx, nq.network, start, nq.subject)
	if err != nil {
		return nil, err
	}
	q := s.privacy.QueryEpsilon
	return &casebridgev1.GetPrivacyBudgetResponse{
		Network:             nq.network,
		QueryEpsilon:        fraction(q),
		PeriodStartDate:     start.Format(time.DateOnly),
		NextPeriodStartDate: next.Format(time.DateOnly),
		NetworkBudget:       budgetOf(s.privacy.Network, sp.network, q),
		CoordinatorBudget:   budgetOf(s.privacy.Coordinator, sp.coordinator, q),
		PopulationBudget:    budgetOf(s.privacy.Population, sp.population, q),
	}, nil
}

// budgetOf describes a budget of total with spent gone, in queries of q.
func budgetOf(total noise.Epsilon, spent *big.Rat, q noise.Epsilon) *casebridgev1.PrivacyBudget {
	left := new(big.Rat).Sub(total.Rat(), spent)
	if left.Sign() < 0 {
		left.SetInt64(0)
	}
	queries := new(big.Int).Quo(new(big.Int).Mul(left.Num(), big.NewInt(q.Den)), new(big.Int).Mul(left.Denom(), big.NewInt(q.Num)))
	return &casebridgev1.PrivacyBudget{
		Total:       fraction(total),
		Spent:       ratFraction(spent),
		Remaining:   ratFraction(left),
		QueriesLeft: queries.Int64(),
	}
}

// ratFraction writes a fraction that may be 0 (0/1).
func ratFraction(r *big.Rat) *casebridgev1.Fraction {
	return &casebridgev1.Fraction{Numerator: r.Num().Int64(), Denominator: r.Denom().Int64()}
}
