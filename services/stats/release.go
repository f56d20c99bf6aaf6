package stats

import (
	"context"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/disclosure"
	"github.com/casebridge/casebridge/internal/disclosure/noise"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// noisy answers t with noise, paid for by the caller's network (named, or
// the only one) unless the same table over the same population was
// released before. It returns the table laid out in the order asked and
// how it was made.
func (s *Service) noisy(ctx context.Context, t *tableSpec, network, method string) (*disclosure.Table, *casebridgev1.Release, error) {
	nq, err := s.noisyCaller(ctx, network, method)
	if err != nil {
		return nil, nil, err
	}
	a, repeated, err := s.answer(ctx, t, nq)
	if err != nil {
		return nil, nil, err
	}
	if repeated {
		audit.Detail(ctx, audit.DetailPrivacy, "repeated")
	}
	rel := &casebridgev1.Release{
		Mechanism:   casebridgev1.Mechanism_MECHANISM_DISCRETE_LAPLACE,
		Epsilon:     fraction(a.release.eps),
		Sensitivity: a.release.delta,
		Repeated:    repeated,
		Description: a.release.description(),
	}
	return layout(a.tab, canonicalOrder(t.columns)), rel, nil
}

// exactRelease describes an exact, suppressed table.
func exactRelease() *casebridgev1.Release {
	return &casebridgev1.Release{
		Mechanism:   casebridgev1.Mechanism_MECHANISM_EXACT_SUPPRESSED,
		Description: "exact counts; counts below k, and counts from which one could be worked out, are withheld",
	}
}

func fraction(e noise.Epsilon) *casebridgev1.Fraction {
	return &casebridgev1.Fraction{Numerator: e.Num, Denominator: e.Den}
}
