package authn

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// usableSet returns a new set holding the public half of every key in set
// that may verify tokens (see keyAlgorithm). Keys that may not are dropped
// rather than rejected, so a JWKS that also publishes encryption keys still
// works. A set with no usable key, or with two usable keys sharing a kid, is
// an error because it can only be a configuration mistake.
func usableSet(set jwk.Set) (jwk.Set, error) {
	out := jwk.NewSet()
	seen := make(map[string]bool)
	for i := range set.Len() {
		key, _ := set.Key(i)
		if _, ok := keyAlgorithm(key); !ok {
			continue
		}
		pub, err := key.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("key #%d: public key: %w", i, err)
		}
		kid, _ := pub.KeyID()
		if seen[kid] {
			return nil, fmt.Errorf("key #%d: duplicate kid %q", i, kid)
		}
		seen[kid] = true
		if err := out.AddKey(pub); err != nil {
			return nil, fmt.Errorf("key #%d: add to set: %w", i, err)
		}
	}
	if out.Len() == 0 {
		return nil, errors.New("no usable signing key (want OKP Ed25519, EC P-256 or RSA >= 2048 bits, use=sig)")
	}
	return out, nil
}

// memoryKeys is a key source whose set changes only when replaced, by
// Verifier.Reload for a JWKS file or never for the dev issuer.
type memoryKeys struct {
	set atomic.Pointer[jwk.Set]
}

var _ keySource = (*memoryKeys)(nil)

func newMemoryKeys(set jwk.Set) *memoryKeys {
	m := &memoryKeys{}
	m.replace(set)
	return m
}

func (m *memoryKeys) replace(set jwk.Set) { m.set.Store(&set) }

func (m *memoryKeys) current(context.Context) (jwk.Set, error) { return *m.set.Load(), nil }

func (m *memoryKeys) refreshed(ctx context.Context) (jwk.Set, error) { return m.current(ctx) }
