package keys

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
)

// freezingDialer dials PostgreSQL for a pool and can make every connection
// it has dialled so far go silent, as a half-open TCP connection does: what
// is written vanishes, nothing more is read, and no error ever comes. New
// connections work.
type freezingDialer struct {
	mu     sync.Mutex
	conns  []*freezableConn
	refuse atomic.Bool // refuse new connections, as an unreachable server
}

func (d *freezingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.refuse.Load() {
		return nil, errors.New("test: connection refused")
	}
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	fc := &freezableConn{Conn: c}
	d.mu.Lock()
	d.conns = append(d.conns, fc)
	d.mu.Unlock()
	return fc, nil
}

func (d *freezingDialer) freeze() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		c.frozen.Store(true)
	}
}

type freezableConn struct {
	net.Conn
	frozen atomic.Bool
}

// Read drops whatever arrives once frozen; deadlines still apply, so a
// caller that gives up (a ping's timeout) is told so.
func (c *freezableConn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		if err != nil || !c.frozen.Load() {
			return n, err
		}
	}
}

func (c *freezableConn) Write(p []byte) (int, error) {
	if c.frozen.Load() {
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// newTunedManager is a caching Manager over its own pool (dialled through
// dial when not nil), with a short health check, closed when the test ends.
func (e *env) newTunedManager(dial func(context.Context, string, string) (net.Conn, error)) *Manager {
	e.t.Helper()
	cfg := e.pool.Config()
	if dial != nil {
		cfg.ConnConfig.DialFunc = dial
	}
	pool, err := pgxpool.NewWithConfig(e.ctx, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(pool.Close)
	m := newManager(pool, e.keyring, vault.NewKeyCache(100, time.Hour), nil, func(m *Manager) {
		m.healthCheck = 100 * time.Millisecond
		m.trust = 300 * time.Millisecond
	})
	e.t.Cleanup(m.Close)
	return m
}

// rekey replaces the case's key through m and returns the new key.
func (e *env) rekey(m *Manager, caseID string) *vault.CaseKey {
	e.t.Helper()
	if err := m.ReplaceCaseKey(e.ctx, e.pool, caseID, func(db.Querier, *vault.CaseKey, *vault.CaseKey) error { return nil }, "shelter-a"); err != nil {
		e.t.Fatalf("ReplaceCaseKey: %v", err)
	}
	k, err := e.newManager(e.keyring, nil).CaseKey(e.ctx, e.pool, caseID)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(k.Wipe)
	return k
}

// cachedKey reads the case's key through m twice and checks that the
// second read came from the cache.
func (e *env) cachedKey(m *Manager, caseID string) *vault.CaseKey {
	e.t.Helper()
	k, err := m.CaseKey(e.ctx, e.pool, caseID)
	if err != nil {
		e.t.Fatal(err)
	}
	k.Wipe()
	before := m.unwraps.Load()
	k, err = m.CaseKey(e.ctx, e.pool, caseID)
	if err != nil {
		e.t.Fatal(err)
	}
	if m.unwraps.Load() != before {
		e.t.Fatal("test premise: the second read should come from the cache")
	}
	e.t.Cleanup(k.Wipe)
	return k
}

// eventuallyKey waits until m serves want for the case and fails if it
// still serves another key after within.
func (e *env) eventuallyKey(m *Manager, caseID string, want *vault.CaseKey, within time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		k, err := m.CaseKey(e.ctx, e.pool, caseID)
		if err != nil {
			e.t.Fatal(err)
		}
		same := sameKey(e.t, k, want, caseID)
		k.Wipe()
		if same {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s after the re-key the Manager still serves the superseded case key", within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitListening waits until m listens on a connection other than oldPID.
func waitListening(t *testing.T, m *Manager, oldPID uint32) uint32 {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if pid := m.listenerPID(); pid != 0 && pid != oldPID && m.cacheVouched() {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatal("the key listener did not reconnect")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestKeyCacheDistrustsSilentListener: when the listener's connection goes
// silent (half-open: no error, no notifications), a re-key made through
// another Manager reaches this one anyway: its cache stops vouching for
// keys within the trust window, the failed ping reconnects and drops what
// it may have missed, and notifications work again afterwards.
func TestKeyCacheDistrustsSilentListener(t *testing.T) {
	e := newEnv(t, "shelter-a")
	dialer := &freezingDialer{}
	a := e.newTunedManager(dialer.dial)
	id, _ := e.newKeyedCase("shelter-a")
	e.cachedKey(a, id)
	oldPID := a.listenerPID()

	dialer.freeze()
	fresh := e.rekey(e.m, id) // its notification never reaches a
	e.eventuallyKey(a, id, fresh, 2*time.Second)
	// The key a now serves opens what the other Manager seals, and the
	// other way round.
	k, err := a.CaseKey(e.ctx, e.pool, id)
	if err != nil {
		t.Fatal(err)
	}
	if !sameKey(t, k, fresh, id) || !sameKey(t, fresh, k, id) {
		t.Fatal("the Manager seals or opens under the superseded case key")
	}
	k.Wipe()

	// The listener reconnects by itself; from then on notifications keep
	// the cache coherent again.
	waitListening(t, a, oldPID)
	e.cachedKey(a, id)
	fresher := e.rekey(e.m, id)
	e.eventuallyKey(a, id, fresher, 2*time.Second)
}

// TestKeyCacheCoherentAfterListenerTerminated: the listener's backend is
// terminated and cannot reconnect for a while; a re-key made meanwhile
// through another Manager (whose notification is lost) is never answered
// with the superseded key, neither while the listener is down nor after it
// is back.
func TestKeyCacheCoherentAfterListenerTerminated(t *testing.T) {
	e := newEnv(t, "shelter-a")
	dialer := &freezingDialer{}
	a := e.newTunedManager(dialer.dial)
	id, old := e.newKeyedCase("shelter-a")
	e.cachedKey(a, id)
	pid := a.listenerPID()
	var app string
	if err := e.pool.QueryRow(e.ctx, "SELECT application_name FROM pg_stat_activity WHERE pid = $1", pid).Scan(&app); err != nil || app != ListenerApplicationName {
		t.Fatalf("listener connection %d: application_name %q, %v; want %q", pid, app, err, ListenerApplicationName)
	}

	dialer.refuse.Store(true)
	var ok bool
	if err := e.pool.QueryRow(e.ctx, "SELECT pg_terminate_backend($1, 5000)", pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend: %v, %v", ok, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for a.listenerPID() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the listener did not notice its backend was terminated")
		}
		time.Sleep(5 * time.Millisecond)
	}

	fresh := e.rekey(e.m, id) // a is not listening: it misses this
	check := func(when string) {
		t.Helper()
		k, err := a.CaseKey(e.ctx, e.pool, id)
		if err != nil {
			t.Fatal(err)
		}
		defer k.Wipe()
		if sameKey(t, k, old, id) || !sameKey(t, k, fresh, id) {
			t.Fatalf("%s the Manager serves the superseded case key", when)
		}
	}
	check("while its listener is down,")
	dialer.refuse.Store(false)
	waitListening(t, a, pid)
	check("after its listener reconnected,")
}
