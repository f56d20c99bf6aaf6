package authn

import (
	"context"
	"errors"
	"fmt"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// keySource yields the JWKS that tokens are checked against. Implementations
// differ only in where the set comes from (memory, a file, a URL).
type keySource interface {
	// current returns the set to use now.
	current(ctx context.Context) (jwk.Set, error)
	// refreshed is called when a token names a kid the current set lacks,
	// which is how a rotated key first shows up. Sources that cannot change
	// on their own return the current set.
	refreshed(ctx context.Context) (jwk.Set, error)
}

// Errors raised while choosing a verification key. Verify reports all of
// them as ErrBadSignature; the distinct values only pick the detail text.
var (
	errAlgNotAccepted = errors.New("signing algorithm is not accepted")
	errUnknownKey     = errors.New("no trusted key matches the token")
	errCritHeader     = errors.New("token has critical header extensions")
)

// keyProvider is the jws.KeyProvider the Verifier hands to jwt.Parse. It
// offers exactly one (algorithm, key) pair per token: the key selected by
// kid, with the algorithm fixed by that key. The header's "alg" must be one
// of the accepted ones and must equal the key's algorithm, so neither "none",
// HS*, nor a swapped algorithm can be smuggled in through the header.
type keyProvider struct {
	src keySource
}

var _ jws.KeyProvider = (*keyProvider)(nil)

func (p *keyProvider) FetchKeys(ctx context.Context, sink jws.KeySink, sig *jws.Signature, _ *jws.Message) error {
	hdr := sig.ProtectedHeaders()
	if hdr == nil {
		return errAlgNotAccepted
	}
	if _, ok := hdr.Critical(); ok {
		// RFC 7515 §4.1.11: extensions we do not understand must fail.
		return errCritHeader
	}
	alg, ok := hdr.Algorithm()
	if !ok || !acceptedAlgorithm(alg) {
		return errAlgNotAccepted
	}
	kid, _ := hdr.KeyID()

	key, err := p.lookup(ctx, kid)
	if err != nil {
		return err
	}
	keyAlg, ok := keyAlgorithm(key)
	if !ok || keyAlg.String() != alg.String() {
		return errAlgNotAccepted
	}
	sink.Key(keyAlg, key)
	return nil
}

// lookup finds the key for kid, refreshing the source once on a miss.
func (p *keyProvider) lookup(ctx context.Context, kid string) (jwk.Key, error) {
	set, err := p.src.current(ctx)
	if err != nil {
		return nil, fmt.Errorf("load key set: %w", err)
	}
	if key, ok := selectKey(set, kid); ok {
		return key, nil
	}
	set, err = p.src.refreshed(ctx)
	if err != nil {
		return nil, fmt.Errorf("refresh key set: %w", err)
	}
	if key, ok := selectKey(set, kid); ok {
		return key, nil
	}
	return nil, errUnknownKey
}

// selectKey returns the key whose kid matches. A token without a kid is
// accepted only when the set holds a single key, so that there is never a
// guess between several trusted keys.
func selectKey(set jwk.Set, kid string) (jwk.Key, bool) {
	if set == nil {
		return nil, false
	}
	if kid == "" {
		if set.Len() != 1 {
			return nil, false
		}
		return set.Key(0)
	}
	return set.LookupKeyID(kid)
}
