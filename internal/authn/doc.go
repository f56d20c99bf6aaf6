// Package authn answers one question for every RPC: who is calling?
//
// A caller proves its identity with a bearer JWT in the gRPC "authorization"
// metadata. [Verifier] checks the token's signature against a JWKS (a file,
// or a URL served by the organisation's identity provider) and its iss, aud,
// exp, nbf and sub claims, and yields a [Caller]. Authorisation — what the
// caller may do — is deliberately not decided here; that is internal/authz.
//
// For local development, where no identity provider exists, [DevIssuer]
// keeps an Ed25519 key in the data directory and mints tokens that a
// [Verifier] built by [NewDevVerifier] (or from [DevIssuer.WriteJWKS])
// accepts.
//
// Tokens are credentials: nothing in this package puts token text into an
// error message, and callers must not log raw tokens either.
package authn
