package keys

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
)

// Defaults of the tunables; tests shorten some of them.
const (
	// defaultBatchSize bounds how many case keys one rotation transaction
	// re-wraps, so row locks are held for tens of milliseconds, not minutes.
	defaultBatchSize = 200
	// defaultIdleDelay is how long a rotation worker waits before looking
	// again when the remaining rows are locked by other transactions.
	defaultIdleDelay = 200 * time.Millisecond
	// defaultSettle is how long a re-keyed or erased case bypasses the cache
	// when the commit notification never arrives (the transaction rolled
	// back, or is still open).
	defaultSettle = 10 * time.Minute
	// defaultHealthCheck is how long the notification listener waits
	// quietly before it pings its connection to prove it still works.
	defaultHealthCheck = time.Second
	// defaultTrust is how long after the listener's last proof of life the
	// cache is still used: a connection that went silent (half-open, no
	// error ever arrives) stops vouching for cached keys after this long.
	defaultTrust = 3 * time.Second
)

// Manager keeps case keys wrapped to organisation keys in PostgreSQL,
// serves them (cached) to the services, and rotates organisation keys in the
// background. It is safe for concurrent use. Call Close on shutdown to stop
// its background goroutines.
type Manager struct {
	pool    *pgxpool.Pool
	keyring *vault.Keyring
	cache   *vault.KeyCache
	log     *slog.Logger

	coh     coherence
	workers workerSet

	// dispatch, when set, enqueues rotations as scheduler jobs.
	dispatchMu sync.Mutex
	jobQueue   Dispatcher
	// suspects are rotation jobs seen running without their lock, by job
	// id (see orphaned).
	suspectsMu sync.Mutex
	suspects   map[int64]*suspect

	// ctx is cancelled by Close; every background goroutine runs under it.
	ctx      context.Context
	cancel   context.CancelFunc
	listener sync.WaitGroup

	// participating is set by ResumeRotations: this process works on
	// rotations, so after a lost notification connection it looks for
	// running rotations again.
	participating atomic.Bool

	// Tunables and test hooks, set before use.
	batchSize  int
	idleDelay  time.Duration
	retryDelay time.Duration
	maxRetries int
	afterBatch func() // called after each committed rotation batch
	// jobSlice is how long a rotation job works before handing over (see
	// rotationSlice); inJob, when set, is told when a job takes (+1) and
	// leaves (-1) a rotation's lock.
	jobSlice time.Duration
	inJob    func(delta int)
	unwraps  atomic.Int64
	// changes counts the key files this server created and destroyed.
	changes keyringChanges
	// rotationNotices counts the rotation notifications dispatched, so a
	// test can wait until one has been acted on.
	rotationNotices atomic.Int64
	// healthCheck and trust: see defaultHealthCheck and defaultTrust.
	healthCheck, trust time.Duration
	// notices is the listener the Manager hears notifications on: the
	// process's (NewManagerListening), or its own (ownNotices), closed with
	// it; subs are its subscriptions there.
	notices    *db.Listener
	ownNotices bool
	subs       []*db.Subscription
}

// NewManager returns a Manager over pool, wrapping case keys to the
// organisation keys held by keyring. cache may be nil (or disabled) to
// unwrap on every read; log may be nil.
//
// NewManager subscribes to the notifications that keep caches coherent
// across transactions and replicas (one dedicated connection taken from the
// pool). If PostgreSQL cannot be reached it keeps retrying in the
// background, and the cache stays bypassed until it succeeds.
func NewManager(pool *pgxpool.Pool, keyring *vault.Keyring, cache *vault.KeyCache, log *slog.Logger) *Manager {
	return newManager(pool, keyring, cache, log, nil)
}

// NewManagerListening is NewManager hearing its notifications on l, the
// process's listener (db.Listener), instead of on a connection of its own.
// Start l first (NewManagerListening waits, a little, to hear them); the
// Manager's Close leaves l running.
func NewManagerListening(pool *pgxpool.Pool, keyring *vault.Keyring, cache *vault.KeyCache, log *slog.Logger, l *db.Listener) *Manager {
	return newManager(pool, keyring, cache, log, func(m *Manager) { m.notices = l })
}

// newManager is NewManager with the tunables adjusted by tune (when not nil)
// before anything starts.
func newManager(pool *pgxpool.Pool, keyring *vault.Keyring, cache *vault.KeyCache, log *slog.Logger, tune func(*Manager)) *Manager {
	if cache == nil {
		cache = vault.NewKeyCache(0, 0)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{
		pool:       pool,
		keyring:    keyring,
		cache:      cache,
		log:        log.With("component", "keys"),
		ctx:        ctx,
		cancel:     cancel,
		batchSize:  defaultBatchSize,
		idleDelay:  defaultIdleDelay,
		retryDelay: time.Second,
		maxRetries: 5,
		jobSlice:   rotationSlice,

		healthCheck: defaultHealthCheck,
		trust:       defaultTrust,
	}
	m.faultPauseFromEnv()
	if tune != nil {
		tune(m)
	}
	m.coh.init(defaultSettle)
	m.startListener()
	return m
}

// Close stops the rotation workers (between batches; a stopped rotation is
// resumed by ResumeRotations) and the notification listener, and waits for
// them. Key operations called after Close still work, uncached.
func (m *Manager) Close() {
	m.cancel()
	m.stopListener()
	m.workers.close()
	m.Wait()
	m.listener.Wait()
	m.cache.Purge()
}

// Wait blocks until no rotation worker of this Manager is running, for tests
// and orderly shutdown.
func (m *Manager) Wait() {
	m.workers.wait()
}

// unwrap unwraps one wrapped case key, counting it so tests can verify that
// cached reads perform no public-key operation.
func (m *Manager) unwrap(keyID string, wrapped []byte, caseID string) (*vault.CaseKey, error) {
	m.unwraps.Add(1)
	return m.keyring.UnwrapCaseKeyWith(keyID, wrapped, caseID)
}
