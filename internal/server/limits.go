package server

import (
	"context"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/limits"
)

// limiter builds the call limits of the configuration (the defaults when
// none is given). A caller is its token subject, charged to every
// organisation it belongs to.
func (s *Server) limiter() *limits.Limiter {
	if s.cfg.Limits == (limits.Config{}) {
		s.cfg.Limits = limits.Defaults()
	}
	return limits.New(s.cfg.Limits, func(ctx context.Context) (string, []string, bool) {
		c, ok := authn.CallerFrom(ctx)
		if !ok {
			return "", nil, false
		}
		// The memberships are cached; should the lookup fail, authorization
		// refuses the call right after, so the subject alone is enough here.
		m, err := s.members.Memberships(ctx, c.Subject)
		if err != nil {
			return c.Subject, nil, true
		}
		orgs := make([]string, 0, len(m))
		for org := range m {
			orgs = append(orgs, org)
		}
		return c.Subject, orgs, true
	})
}
