package authn

import (
	"context"

	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Beside returns a verifier that checks each token with v, except a token
// naming other's issuer, which other checks. It lets a development server
// trust a local identity provider beside its own dev issuer, so that the
// web client's OpenID Connect sign-in can be tried without giving up dev
// sign-in. The unverified "iss" only chooses which verifier runs; that one
// then checks signature, issuer, audience and expiry as always, so a token
// cannot borrow one issuer's trust by naming it.
func (v *Verifier) Beside(other *Verifier) *Verifier {
	joined := *v
	joined.beside = append(append([]*Verifier(nil), v.beside...), other)
	return &joined
}

// route returns the verifier that must check raw: the one of an issuer
// trusted beside v whose name the token carries, or v itself.
func (v *Verifier) route(raw string) *Verifier {
	if len(v.beside) == 0 {
		return v
	}
	tok, err := jwt.ParseInsecure([]byte(raw))
	if err != nil {
		return v
	}
	iss, ok := tok.Issuer()
	if !ok {
		return v
	}
	for _, o := range v.beside {
		if o.issuer == iss {
			return o
		}
	}
	return v
}

// closeBeside stops the background work of the verifiers trusted beside v.
func (v *Verifier) closeBeside(ctx context.Context) error {
	for _, o := range v.beside {
		if err := o.Close(ctx); err != nil {
			return err
		}
	}
	return nil
}
