package authn

import (
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// minRSABits is the smallest RSA modulus accepted; shorter keys are
// factorable by a well-funded adversary.
const minRSABits = 2048

// acceptedAlgorithm reports whether alg is one this service verifies. The
// list is closed on purpose: "none" would let anyone mint tokens, and HS*
// would turn a published public key into a shared secret.
func acceptedAlgorithm(alg jwa.SignatureAlgorithm) bool {
	switch alg.String() {
	case jwa.EdDSA().String(), jwa.ES256().String(), jwa.RS256().String():
		return true
	}
	return false
}

// keyAlgorithm returns the single algorithm a key may verify. It is derived
// from the key material (OKP/Ed25519 → EdDSA, EC/P-256 → ES256, RSA ≥ 2048
// bits → RS256) and, when the JWK names an "alg", that must agree. Pinning
// the algorithm to the key, not to the token header, is what defeats
// algorithm-confusion attacks.
func keyAlgorithm(key jwk.Key) (jwa.SignatureAlgorithm, bool) {
	if use, ok := key.KeyUsage(); ok && use != "" && use != jwk.ForSignature.String() {
		return jwa.SignatureAlgorithm{}, false
	}

	// Inspect the public half so that a JWKS which (wrongly) contains
	// private keys is judged by the same rules.
	pub, err := key.PublicKey()
	if err != nil {
		return jwa.SignatureAlgorithm{}, false
	}

	// Switch on kty, not on Go interfaces: an EC key also satisfies
	// jwk.OKPPublicKey (both have Crv and X).
	var alg jwa.SignatureAlgorithm
	switch key.KeyType().String() {
	case jwa.OKP().String():
		k, ok := pub.(jwk.OKPPublicKey)
		if !ok {
			return jwa.SignatureAlgorithm{}, false
		}
		if crv, ok := k.Crv(); !ok || crv.String() != jwa.Ed25519().String() {
			return jwa.SignatureAlgorithm{}, false
		}
		alg = jwa.EdDSA()
	case jwa.EC().String():
		k, ok := pub.(jwk.ECDSAPublicKey)
		if !ok {
			return jwa.SignatureAlgorithm{}, false
		}
		if crv, ok := k.Crv(); !ok || crv.String() != jwa.P256().String() {
			return jwa.SignatureAlgorithm{}, false
		}
		alg = jwa.ES256()
	case jwa.RSA().String():
		k, ok := pub.(jwk.RSAPublicKey)
		if !ok {
			return jwa.SignatureAlgorithm{}, false
		}
		if n, ok := k.N(); !ok || len(n)*8 < minRSABits {
			return jwa.SignatureAlgorithm{}, false
		}
		alg = jwa.RS256()
	default:
		// Symmetric ("oct") and unknown key types are never trusted.
		return jwa.SignatureAlgorithm{}, false
	}

	if declared, ok := key.Algorithm(); ok && declared.String() != alg.String() {
		return jwa.SignatureAlgorithm{}, false
	}
	return alg, true
}
