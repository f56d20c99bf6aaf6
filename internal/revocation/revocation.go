// Package revocation ends tokens before their expiry. A revoked token is
// named by its id (authn.Caller.TokenID: the jti, or a digest of the token),
// never by the token itself, in the revoked_tokens table until no verifier
// would accept the token anyway (its expiry and KeepPastExpiry).
//
// Every call checks its token here, so answers are cached; the cache is
// kept honest across replicas by the process's db.Listener: a revocation
// notifies Channel in its own transaction, and a cached "not revoked" is
// trusted only while the listener has proved, within TrustWindow, that it
// delivers. Otherwise every check asks the database.
//
// Open streams are watched by their token's id (Watch): a revocation ends
// them on every replica as soon as it learns of it, and while the listener
// cannot be trusted their tokens are checked against the table instead.
package revocation

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
)

// Channel is the NOTIFY channel a revocation is announced on; the payload
// is the token id, a hint to drop the cached answer.
const Channel = "casebridge_token_revocations"

// TrustWindow is how long after the listener's last proof of life a cached
// "not revoked" is trusted: a few times the listener's health check, so
// that a connection that fails silently leaves a replica stale for about a
// second at most.
const TrustWindow = 1500 * time.Millisecond

// KeepPastExpiry is how long a revocation outlives its token's expiry. A
// verifier accepts a token a little past its exp, for clock skew between
// the identity provider and the server (casebridged allows 30 s): a
// revoked token must stay refused for as long as any verifier would
// accept it, so neither its row nor its cached answer may go sooner.
const KeepPastExpiry = 5 * time.Minute

// maxEntries bounds the cache; past it answers are not cached, only asked.
const maxEntries = 50000

type txBeginner interface {
	db.Querier
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Revocations records and checks revoked tokens.
type Revocations struct {
	pool txBeginner
	now  func() time.Time

	listening atomic.Bool
	lastAlive atomic.Int64 // UnixNano of the listener's last proof of life
	sub       *db.Subscription

	mu sync.Mutex
	// gen counts invalidations, so that a lookup that started before one
	// does not cache its possibly stale answer after it.
	gen     uint64
	entries map[string]entry

	streams streams
}

type entry struct {
	revoked bool
	until   time.Time // the token's expiry: no answer is needed after it
}

// New returns revocations over pool. With a listener, answers are cached
// while it delivers; with nil, every check asks the database.
func New(pool txBeginner, listener *db.Listener) *Revocations {
	r := &Revocations{pool: pool, now: time.Now, entries: map[string]entry{}}
	r.streams.wake = make(chan struct{}, 1)
	if listener != nil {
		r.sub = listener.Subscribe(Channel, db.Handler{
			Notify: func(id string) {
				r.invalidate(id)
				// A notification is a hint: the table decides whether the
				// token's open streams end.
				r.checkSoon(id)
			},
			Up: func() {
				// Revocations may have been missed while nobody listened,
				// by the cache and by the open streams alike.
				r.flush()
				r.alive()
				r.listening.Store(true)
				r.checkAllSoon()
			},
			Down:  func() { r.listening.Store(false) },
			Alive: r.alive,
		})
	}
	return r
}

// Close ends the subscription and the checking of open streams.
func (r *Revocations) Close() {
	if r.sub != nil {
		r.sub.Close()
	}
	r.streams.close()
}

func (r *Revocations) alive() { r.lastAlive.Store(r.now().UnixNano()) }

func (r *Revocations) trusted() bool {
	return r.listening.Load() && r.now().Sub(time.Unix(0, r.lastAlive.Load())) < TrustWindow
}

func (r *Revocations) invalidate(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gen++
	if e, ok := r.entries[id]; ok && !e.revoked {
		delete(r.entries, id)
	}
}

func (r *Revocations) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gen++
	for id, e := range r.entries {
		if !e.revoked {
			delete(r.entries, id)
		}
	}
}

// Revoke ends the token named id, which expires at expiry, on every
// replica. record, when not nil, runs in the revocation's transaction (the
// audit event of the call): the token is revoked only if it succeeds.
func (r *Revocations) Revoke(ctx context.Context, id string, expiry time.Time, record func(pgx.Tx) error) error {
	if id == "" {
		return errors.New("revocation: no token id")
	}
	until := expiry.Add(KeepPastExpiry)
	if err := revokeRow(ctx, r.pool, id, until, record); err != nil {
		return err
	}
	r.mu.Lock()
	r.gen++
	r.entries[id] = entry{revoked: true, until: until}
	r.mu.Unlock()
	// The row is committed: this replica's streams of the token end now,
	// the other replicas' when the notification reaches them.
	r.endStreams(id)
	return nil
}

// Revoked reports whether the token named id, which expires at expiry, has
// been revoked.
func (r *Revocations) Revoked(ctx context.Context, id string, expiry time.Time) (bool, error) {
	now := r.now()
	r.mu.Lock()
	e, ok := r.entries[id]
	gen := r.gen
	r.mu.Unlock()
	// A revocation is a fact and never undone; a "not revoked" is only as
	// good as the listener behind it.
	if ok && now.Before(e.until) && (e.revoked || r.trusted()) {
		return e.revoked, nil
	}
	revoked, err := isRevokedRow(ctx, r.pool, id)
	if err != nil {
		return false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gen == gen || revoked {
		if len(r.entries) >= maxEntries {
			for k, old := range r.entries {
				if !now.Before(old.until) {
					delete(r.entries, k)
				}
			}
		}
		if len(r.entries) < maxEntries {
			r.entries[id] = entry{revoked: revoked, until: expiry.Add(KeepPastExpiry)}
		}
	}
	return revoked, nil
}

// PruneInterval is how often PruneLoop deletes the rows of tokens that have
// expired anyway.
const PruneInterval = 10 * time.Minute

// Prune deletes the revocations of tokens past their expiry and
// KeepPastExpiry, which no check needs any more (every check refuses an
// expired token first). It
// returns how many it deleted.
func (r *Revocations) Prune(ctx context.Context) (int64, error) {
	return pruneRows(ctx, r.pool)
}

// PruneLoop prunes every PruneInterval until ctx ends. Every replica runs
// it; a deletion another replica made first costs nothing.
func (r *Revocations) PruneLoop(ctx context.Context) {
	t := time.NewTicker(PruneInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// A failure is retried at the next tick; rows outliving their
			// token do no harm meanwhile.
			_, _ = r.Prune(ctx)
		}
	}
}
