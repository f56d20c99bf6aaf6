package servertest

import (
	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/server"
)

// TrustIssuer makes the dev server trust tokens of issuer, checked against
// the keys in jwksFile and for audience "casebridge", beside its own dev
// tokens: an identity provider run by a test can then sign users in.
func TrustIssuer(issuer, jwksFile string) Option {
	return func(c *server.Config) {
		c.Issuer, c.Audience, c.JWKSFile = issuer, authn.DevAudience, jwksFile
	}
}
