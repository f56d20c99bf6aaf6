package authn

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

const (
	// jwksFirstFetchTimeout bounds the fetch NewVerifier waits for, so that a
	// server pointed at an unreachable identity provider fails at start with
	// a clear error instead of hanging.
	jwksFirstFetchTimeout = 15 * time.Second
	// jwksMaxRefreshInterval caps how long a removed (e.g. compromised) key
	// stays trusted, whatever Cache-Control the provider sends.
	jwksMaxRefreshInterval = time.Hour
	// jwksMissRefreshGap rate-limits refreshes triggered by unknown kids, so
	// a flood of tokens with made-up kids cannot hammer the provider.
	jwksMissRefreshGap = time.Minute
)

// urlKeys is a key source backed by a jwk.Cache: the set is fetched at start,
// refreshed in the background, and refreshed early (at most once per
// missGap) when a token names a kid the cached set lacks — which is how a
// freshly rotated key first appears.
type urlKeys struct {
	cache    *jwk.Cache
	url      string
	resource interface{ Resource() jwk.Set }

	mu          sync.Mutex // serialises miss-triggered refreshes
	lastRefresh time.Time
	missGap     time.Duration
}

var _ keySource = (*urlKeys)(nil)

// newURLKeys starts a cache whose background work lives as long as ctx (or
// until close is called) and waits for the first successful fetch.
func newURLKeys(ctx context.Context, rawURL string) (*urlKeys, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("authn: JWKSURL must be an absolute http(s) URL")
	}

	cache, err := jwk.NewCache(ctx, httprc.NewClient())
	if err != nil {
		return nil, fmt.Errorf("authn: start JWKS cache: %w", err)
	}
	fetchCtx, cancel := context.WithTimeout(ctx, jwksFirstFetchTimeout)
	defer cancel()
	if err := cache.Register(fetchCtx, rawURL, jwk.WithMaxInterval(jwksMaxRefreshInterval)); err != nil {
		_ = cache.Shutdown(context.Background())
		return nil, fmt.Errorf("authn: fetch JWKS from %s: %w", u.Redacted(), err)
	}
	res, err := cache.LookupResource(ctx, rawURL)
	if err != nil {
		_ = cache.Shutdown(context.Background())
		return nil, fmt.Errorf("authn: JWKS cache: %w", err)
	}
	if _, err := usableSet(res.Resource()); err != nil {
		_ = cache.Shutdown(context.Background())
		return nil, fmt.Errorf("authn: JWKS at %s: %w", u.Redacted(), err)
	}
	return &urlKeys{
		cache:       cache,
		url:         rawURL,
		resource:    res,
		lastRefresh: time.Now(),
		missGap:     jwksMissRefreshGap,
	}, nil
}

func (k *urlKeys) current(context.Context) (jwk.Set, error) {
	// Resource is an atomic load of the last good fetch; a failed background
	// refresh keeps serving the previous set.
	return k.resource.Resource(), nil
}

func (k *urlKeys) refreshed(ctx context.Context) (jwk.Set, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if time.Since(k.lastRefresh) < k.missGap {
		return k.current(ctx)
	}
	k.lastRefresh = time.Now()
	set, err := k.cache.Refresh(ctx, k.url)
	if err != nil {
		return nil, fmt.Errorf("refresh JWKS: %w", err)
	}
	return set, nil
}

func (k *urlKeys) close(ctx context.Context) error {
	if err := k.cache.Shutdown(ctx); err != nil {
		return fmt.Errorf("authn: stop JWKS cache: %w", err)
	}
	return nil
}
