package authz

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/db"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// MembershipChannel is the PostgreSQL NOTIFY channel on which the
// memberships trigger announces the subject of every changed row.
const MembershipChannel = "casebridge_memberships"

// ListenerApplicationName is the application_name of the listening
// connection Members keeps when it is given no process listener
// (MembersOptions.Listener), so that operators (and tests) can find it in
// pg_stat_activity.
const ListenerApplicationName = "casebridge-authz-listener"

// maxMembershipsPerSubject bounds the memberships query; a subject in more
// organisations than this is refused rather than silently truncated.
const maxMembershipsPerSubject = 1000

// MembersOptions tune [Members]. The zero value is ready to use.
type MembersOptions struct {
	// FallbackTTL is how long a cached entry is trusted when the listener
	// cannot vouch for it (not connected, or not heard from recently).
	// It bounds how long a removed member keeps access while notifications
	// may be lost; zero means 2s.
	FallbackTTL time.Duration
	// MaxAge is how long an entry is trusted even while every notification
	// arrives: a safety net against a missed NOTIFY. Zero means 10 minutes.
	MaxAge time.Duration
	// MaxEntries bounds the number of cached subjects; zero means 100,000.
	MaxEntries int
	// HealthCheck is how long the listener waits for a notification before
	// it pings its connection to prove it is still alive; zero means
	// FallbackTTL/4.
	HealthCheck time.Duration
	// MinBackoff and MaxBackoff bound the wait between reconnection
	// attempts; zero means 100ms and 5s.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives listener state changes; nil means slog.Default().
	Logger *slog.Logger
	// Listener is the process's notification listener (db.Listener), on
	// which Start subscribes MembershipChannel; nil means Members keeps a
	// listener of its own (application_name ListenerApplicationName),
	// tuned by HealthCheck and the backoffs above.
	Listener *db.Listener
}

// Members resolves a subject's memberships (organisation -> roles) from
// the memberships table. Only the roles that count there are resolved (see
// [EffectiveRoles]): a network role held outside a coordinating body is
// left out, and an organisation where nothing is left is no membership.
//
// Every request needs them, so they are cached per subject. The cache is
// kept honest by a LISTEN on MembershipChannel (through the process's
// db.Listener, see Start): each notification drops the named subject, so a removed member or role
// takes effect on every replica as soon as the change commits. While the
// listener is down, or has not proven itself alive within FallbackTTL,
// entries older than FallbackTTL are reloaded instead, so access is lost
// within FallbackTTL even when notifications are being missed; after a
// reconnection the whole cache is dropped, since changes may have been
// missed while it was down.
type Members struct {
	pool *pgxpool.Pool
	opts MembersOptions
	log  *slog.Logger
	base time.Time // monotonic origin of the int64 clocks below

	mu      sync.RWMutex
	entries map[string]memberEntry
	// gens counts invalidations per bucket of subjects. A load remembers its
	// bucket's count before querying and stores its result only if no
	// invalidation happened meanwhile, so a notification that overtakes a
	// slow query cannot be undone by the query's stale answer.
	gens [256]uint64
	seed maphash.Seed

	listening atomic.Bool
	lastAlive atomic.Int64 // clock value of the listener's last proof of life

	listener *db.Listener
	own      bool // listener is Members' own, started and closed with it
	sub      *db.Subscription

	startOnce sync.Once
	closeOnce sync.Once
}

type memberEntry struct {
	orgs   map[string][]string
	loaded int64 // clock value when the query that produced orgs started
}

// NewMembers returns a resolver over pool. Call Start to listen for
// changes; until then (and if Start is never called) entries live for
// FallbackTTL only.
func NewMembers(pool *pgxpool.Pool, opts MembersOptions) *Members {
	if opts.FallbackTTL <= 0 {
		opts.FallbackTTL = 2 * time.Second
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 10 * time.Minute
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 100_000
	}
	if opts.HealthCheck <= 0 {
		opts.HealthCheck = opts.FallbackTTL / 4
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 100 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(5*time.Second, opts.MinBackoff)
	}
	m := &Members{
		pool:    pool,
		opts:    opts,
		log:     opts.Logger,
		base:    time.Now(),
		entries: make(map[string]memberEntry),
		seed:    maphash.MakeSeed(),
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	return m
}

func (m *Members) now() int64 { return int64(time.Since(m.base)) }

// Memberships returns the organisations subject belongs to and the roles
// held in each. The map may be shared with the cache: do not modify it. A
// subject with no memberships gets an empty map. A database error is
// returned as is; callers must deny (and must not show it to a client).
func (m *Members) Memberships(ctx context.Context, subject string) (map[string][]string, error) {
	if subject == "" {
		return nil, errors.New("authz: memberships: empty subject")
	}
	b := maphash.String(m.seed, subject) % uint64(len(m.gens))
	m.mu.RLock()
	e, ok := m.entries[subject]
	gen := m.gens[b]
	m.mu.RUnlock()
	if ok && m.fresh(e, m.now()) {
		return e.orgs, nil
	}

	loaded := m.now()
	orgs, err := m.query(ctx, subject)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.gens[b] == gen {
		if _, present := m.entries[subject]; !present && len(m.entries) >= m.opts.MaxEntries {
			for k := range m.entries { // map order is random: a random eviction
				delete(m.entries, k)
				break
			}
		}
		m.entries[subject] = memberEntry{orgs: orgs, loaded: loaded}
	}
	m.mu.Unlock()
	return orgs, nil
}

// Principal resolves subject into a Principal.
func (m *Members) Principal(ctx context.Context, subject string) (Principal, error) {
	orgs, err := m.Memberships(ctx, subject)
	if err != nil {
		return Principal{}, err
	}
	return Principal{Subject: subject, Memberships: orgs}, nil
}

func (m *Members) fresh(e memberEntry, now int64) bool {
	age := time.Duration(now - e.loaded)
	if age < m.opts.FallbackTTL {
		return true
	}
	if age >= m.opts.MaxAge {
		return false
	}
	return m.listening.Load() && time.Duration(now-m.lastAlive.Load()) < m.opts.FallbackTTL
}

func (m *Members) query(ctx context.Context, subject string) (map[string][]string, error) {
	rows, err := m.pool.Query(ctx,
		`SELECT m.organization_id, m.roles, o.kind FROM memberships m
		JOIN organizations o ON o.id = m.organization_id
		WHERE m.subject = $1 ORDER BY m.organization_id LIMIT $2`,
		subject, maxMembershipsPerSubject+1)
	if err != nil {
		return nil, fmt.Errorf("authz: query memberships: %w", err)
	}
	defer rows.Close()
	orgs := make(map[string][]string)
	for rows.Next() {
		var org string
		var roles []string
		var kind int16
		if err := rows.Scan(&org, &roles, &kind); err != nil {
			return nil, fmt.Errorf("authz: scan memberships: %w", err)
		}
		// A network role outside a coordinating body allows nothing, even
		// when written into the table by hand: it is not resolved at all.
		if roles = EffectiveRoles(casebridgev1.OrganizationKind(kind), roles); len(roles) > 0 {
			orgs[org] = roles
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("authz: query memberships: %w", err)
	}
	if len(orgs) > maxMembershipsPerSubject {
		return nil, fmt.Errorf("authz: subject has more than %d memberships", maxMembershipsPerSubject)
	}
	return orgs, nil
}

// Invalidate drops subject's cached memberships on this replica, for a
// writer that wants its own change visible before the NOTIFY round trip.
func (m *Members) Invalidate(subject string) {
	b := maphash.String(m.seed, subject) % uint64(len(m.gens))
	m.mu.Lock()
	m.gens[b]++
	delete(m.entries, subject)
	m.mu.Unlock()
}

// flush drops every cached entry and every load in flight.
func (m *Members) flush() {
	m.mu.Lock()
	for i := range m.gens {
		m.gens[i]++
	}
	clear(m.entries)
	m.mu.Unlock()
}

// cached returns the number of cached subjects.
func (m *Members) cached() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.entries)
}

// Listening reports whether the listener is connected and has proven
// itself alive within FallbackTTL, i.e. whether removals currently take
// effect by notification rather than by TTL. For health reporting.
func (m *Members) Listening() bool {
	return m.listening.Load() && time.Duration(m.now()-m.lastAlive.Load()) < m.opts.FallbackTTL
}

// Start subscribes to membership changes on the listener (its own, started
// here, when MembersOptions.Listener is nil) and returns at once: if
// PostgreSQL is unreachable the listener keeps retrying with backoff and
// the cache falls back to FallbackTTL. Its own listener stops when ctx ends.
//
// Each notification drops the subject it names; each time the listener is
// (again) listening the whole cache is dropped, since changes may have
// been missed while it was not; each proof of life (a notification, an
// answered ping) keeps cached entries trusted beyond FallbackTTL.
func (m *Members) Start(ctx context.Context) {
	m.startOnce.Do(func() {
		m.listener = m.opts.Listener
		if m.listener == nil {
			m.listener = db.NewListener(m.pool, db.ListenerOptions{
				ApplicationName: ListenerApplicationName,
				HealthCheck:     m.opts.HealthCheck,
				MinBackoff:      m.opts.MinBackoff,
				MaxBackoff:      m.opts.MaxBackoff,
				Logger:          m.log,
			})
			m.own = true
		}
		m.sub = m.listener.Subscribe(MembershipChannel, db.Handler{
			Notify: m.Invalidate,
			Up: func() {
				// Anything may have changed while nobody was listening.
				m.flush()
				m.lastAlive.Store(m.now())
				m.listening.Store(true)
				m.log.Info("authz: listening for membership changes", "channel", MembershipChannel)
			},
			Down: func() {
				m.listening.Store(false)
				m.log.Warn("authz: membership listener down; cached memberships now expire after the fallback TTL",
					"fallback_ttl", m.opts.FallbackTTL)
			},
			Alive: func() { m.lastAlive.Store(m.now()) },
		})
		if m.own {
			m.listener.Start(ctx)
		}
	})
}

// Close stops following membership changes (and stops Members' own
// listener); cached entries then live for FallbackTTL only.
func (m *Members) Close() {
	m.closeOnce.Do(func() {
		started := true
		m.startOnce.Do(func() { started = false })
		if !started {
			return
		}
		m.sub.Close()
		if m.own {
			m.listener.Close()
		}
		m.listening.Store(false)
	})
}
