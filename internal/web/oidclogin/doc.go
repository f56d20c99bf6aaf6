// Package oidclogin signs a person in to the web client through the
// organisation's identity provider: the OpenID Connect authorization code
// flow with PKCE (RFC 7636), a state bound to the browser and a nonce bound
// to the ID token. It ends in a [Result] — the access token the web client
// presents to casebridged on each call, its expiry and the subject — which
// the web client's session layer turns into a session. The server checks
// that token as it checks every other (issuer, audience, signature,
// expiry); nothing here widens what it accepts.
//
// Between the redirect to the provider and the return, the flow's secrets
// (state, nonce, PKCE verifier) live in one short-lived cookie sealed with
// [Config.FlowKey]: any replica holding the same key can finish a sign-in
// another replica started, and nobody can forge or read the cookie. The
// cookie is SameSite=Lax, not Strict, because the return from the provider
// is a cross-site navigation that a Strict cookie would not survive; it is
// HttpOnly, scoped to the whole origin under the __Host- prefix when
// Secure, used once and then deleted.
//
// For the same reason a session cookie set with SameSite=Strict in the
// callback's answer is not sent on a redirect that continues the provider's
// cross-site chain; [Continue] ends the callback with a same-origin page
// that moves on by itself, after which the session cookie is sent.
package oidclogin
