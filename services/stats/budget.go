package stats

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/disclosure/noise"
	"github.com/casebridge/casebridge/internal/rpcerr"
)

// Period is how often a privacy budget is whole again.
type Period int

const (
	// Month: the budget resets on the first day of each calendar month (UTC).
	Month Period = iota
	// Quarter: on 1 January, 1 April, 1 July and 1 October.
	Quarter
	// Year: on 1 January.
	Year
)

// ParsePeriod reads "month", "quarter" or "year".
func ParsePeriod(s string) (Period, error) {
	switch strings.ToLower(s) {
	case "month":
		return Month, nil
	case "quarter":
		return Quarter, nil
	case "year":
		return Year, nil
	}
	return 0, fmt.Errorf("budget period %q: want month, quarter or year", s)
}

func (p Period) String() string {
	return [...]string{"month", "quarter", "year"}[p]
}

// bounds returns the first day of the period t falls in and of the next.
func (p Period) bounds(t time.Time) (start, next time.Time) {
	t = t.UTC()
	switch p {
	case Year:
		start = time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(1, 0, 0)
	case Quarter:
		start = time.Date(t.Year(), t.Month()-(t.Month()-1)%3, 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 3, 0)
	default:
		start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0)
	}
}

// Privacy configures the noisy mode: what one noisy query spends, and the
// budget per period of the whole population (all networks together: every
// network's tables count the same cases), of each network, and of each
// coordinator (in all its networks together: one person holding the role
// in two bodies has one budget).
type Privacy struct {
	QueryEpsilon noise.Epsilon
	Population   noise.Epsilon
	Network      noise.Epsilon
	Coordinator  noise.Epsilon
	Period       Period
}

// DefaultPrivacy is ε = 1/2 per noisy query, 2 per coordinator, and 4 per
// network and for the population each calendar month: four noisy tables a
// month for one coordinator, eight for all networks together however many
// there are.
func DefaultPrivacy() Privacy {
	return Privacy{
		QueryEpsilon: noise.Epsilon{Num: 1, Den: 2},
		Population:   noise.Epsilon{Num: 4, Den: 1},
		Network:      noise.Epsilon{Num: 4, Den: 1},
		Coordinator:  noise.Epsilon{Num: 2, Den: 1},
		Period:       Month,
	}
}

// Check refuses a configuration that could never release anything, or
// whose query spends more than a budget holds.
func (p Privacy) Check() error {
	switch {
	case !p.QueryEpsilon.Valid() || !p.Population.Valid() || !p.Network.Valid() || !p.Coordinator.Valid():
		return errors.New("privacy budget: every ε must be a positive fraction")
	case p.QueryEpsilon.Rat().Cmp(p.Coordinator.Rat()) > 0 || p.QueryEpsilon.Rat().Cmp(p.Network.Rat()) > 0 ||
		p.QueryEpsilon.Rat().Cmp(p.Population.Rat()) > 0:
		return errors.New("privacy budget: one noisy query would spend more than a budget holds")
	}
	return nil
}

// noisyQuery is who pays for a noisy release: the coordinating body and the
// coordinator, and the call it is for.
type noisyQuery struct {
	network, subject, method string
}

// noisyCaller says whose budget a noisy query of ctx spends: the
// coordinating body named (one where the caller may read statistics), or
// the only one.
func (s *Service) noisyCaller(ctx context.Context, network, method string) (*noisyQuery, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if s.authz == nil {
		return nil, rpcerr.FailedPrecondition("noisy statistics are not configured on this server")
	}
	nets := s.authz.OrgsAllowed(p, objStats, authz.ActRead)
	slices.Sort(nets)
	switch {
	case network != "" && slices.Contains(nets, network):
	case network != "":
		return nil, rpcerr.InvalidArgument("network", "the caller reads no statistics in %q", network)
	case len(nets) == 1:
		network = nets[0]
	case len(nets) == 0:
		return nil, rpcerr.PermissionDenied("the caller reads statistics in no network")
	default:
		return nil, rpcerr.InvalidArgument("network", "the caller reads statistics in several networks (%s): name the one whose budget pays", strings.Join(nets, ", "))
	}
	return &noisyQuery{network: network, subject: p.Subject, method: method}, nil
}

// spending is what all networks together, one network, and one
// coordinator (in every network) have spent in a period.
type spending struct {
	population, network, coordinator *big.Rat
}

// spend pays for one noisy release of nq, or refuses it with
// ResourceExhausted when it would take the population's, the network's or
// the coordinator's spending past its budget for the period; the refusal
// says when the
// budget is whole again. ResourceExhausted, not FailedPrecondition: a
// budget is a quota, it lifts by itself at the next period, and the
// client is told when (RetryInfo). The population's period row is locked,
// so that concurrent releases of any network are paid one after the other.
func (s *Service) spend(ctx context.Context, nq *noisyQuery, now time.Time) error {
	start, next := s.privacy.Period.bounds(now)
	q := s.privacy.QueryEpsilon
	err := s.store.inPeriod(ctx, nq.network, start, func(sp spending, record func() error) error {
		if new(big.Rat).Add(sp.population, q.Rat()).Cmp(s.privacy.Population.Rat()) > 0 {
			return rpcerr.ResourceExhausted(next.Sub(now), "the privacy budget of all networks together for this %s is spent (%s of ε = %s): noisy queries are possible again from %s; exact ones still are",
				s.privacy.Period, sp.population.RatString(), s.privacy.Population, next.Format(time.DateOnly))
		}
		if new(big.Rat).Add(sp.network, q.Rat()).Cmp(s.privacy.Network.Rat()) > 0 {
			return rpcerr.ResourceExhausted(next.Sub(now), "the privacy budget of %s for this %s is spent (%s of ε = %s): noisy queries are possible again from %s; exact ones still are",
				nq.network, s.privacy.Period, sp.network.RatString(), s.privacy.Network, next.Format(time.DateOnly))
		}
		if new(big.Rat).Add(sp.coordinator, q.Rat()).Cmp(s.privacy.Coordinator.Rat()) > 0 {
			return rpcerr.ResourceExhausted(next.Sub(now), "your privacy budget (in every network) for this %s is spent (%s of ε = %s): noisy queries are possible again from %s; exact ones still are",
				s.privacy.Period, sp.coordinator.RatString(), s.privacy.Coordinator, next.Format(time.DateOnly))
		}
		return record()
	}, nq.subject, q, nq.method)
	if err != nil {
		var ex *rpcerr.Exhausted
		if errors.As(err, &ex) {
			audit.Detail(ctx, audit.DetailPrivacy, "refused")
			return err
		}
		return fmt.Errorf("spend privacy budget: %w", err)
	}
	audit.Detail(ctx, audit.DetailPrivacy, "spent")
	audit.Detail(ctx, audit.DetailEpsilon, q.String())
	audit.Detail(ctx, audit.DetailNetwork, nq.network)
	return nil
}

// ParsePrivacy reads a privacy configuration as the server's flags give
// it: ε of one noisy query, the population's, the network's and the
// coordinator's budgets (each a fraction, a decimal or a whole number), and
// the period.
func ParsePrivacy(query, population, network, coordinator, period string) (Privacy, error) {
	var p Privacy
	var err error
	for _, f := range []struct {
		name string
		in   string
		out  *noise.Epsilon
	}{{"noisy query ε", query, &p.QueryEpsilon}, {"population budget", population, &p.Population}, {"network budget", network, &p.Network}, {"coordinator budget", coordinator, &p.Coordinator}} {
		if *f.out, err = noise.ParseEpsilon(f.in); err != nil {
			return Privacy{}, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if p.Period, err = ParsePeriod(period); err != nil {
		return Privacy{}, err
	}
	return p, p.Check()
}
