package keys

import (
	"context"
	"time"

	"github.com/casebridge/casebridge/internal/db"
)

// Notification channels. Payloads are ids only.
const (
	// caseKeysChannel carries the id of a case whose key was replaced or
	// shredded; it is sent inside the changing transaction, so it is
	// delivered only if that transaction commits.
	caseKeysChannel = "casebridge_case_keys"
	// rotationsChannel carries the id of a rotation that was started,
	// extended or finished, so every replica joins the work or re-reads the
	// key directory. Anyone with the server's role can send one: it makes a
	// server look, never act on what it did not verify.
	rotationsChannel = "casebridge_key_rotations"
)

// notify queues a notification in q's transaction.
func notify(ctx context.Context, q db.Querier, channel, payload string) error {
	_, err := q.Exec(ctx, "SELECT pg_notify($1, $2)", channel, payload)
	return err
}

// startListener subscribes to the key notifications on the process's
// listener (m.notices), or on one of its own when none was given, and
// waits (a little) until they are heard, so that a Manager that can reach
// PostgreSQL caches from its first read.
//
// The cache follows the listener (see coherence): Up purges it (some
// invalidations may have been missed) and vouches for it, every proof of
// life renews the vouching, Down stops caching. After a reconnection a
// Manager working on rotations looks for running ones again, since their
// notifications may have been missed too.
func (m *Manager) startListener() {
	if m.notices == nil {
		m.notices = db.NewListener(m.pool, db.ListenerOptions{
			ApplicationName: ListenerApplicationName,
			HealthCheck:     m.healthCheck,
			MaxBackoff:      10 * time.Second,
			Logger:          m.log,
		})
		m.ownNotices = true
	}
	m.subs = append(m.subs,
		m.notices.Subscribe(caseKeysChannel, db.Handler{
			Notify: m.cacheInvalidate,
			Up:     func() { m.setListening(true) },
			Down:   func() { m.setListening(false) },
			Alive:  m.proveAlive,
		}),
		m.notices.Subscribe(rotationsChannel, db.Handler{
			Notify: m.rotationNotice,
			Up:     m.rotationsUp,
		}))
	if m.ownNotices {
		m.notices.Start(m.ctx)
	}
	ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
	defer cancel()
	if err := m.subs[0].WaitUp(ctx); err != nil {
		m.log.Warn("key cache disabled until notifications can be received", "error", err)
	}
}

// stopListener ends the subscriptions (and the listener, if it is the
// Manager's own).
func (m *Manager) stopListener() {
	for _, s := range m.subs {
		s.Close()
	}
	if m.ownNotices {
		m.notices.Close()
	}
	m.setListening(false)
}

// ListenerApplicationName is the application_name of the listening
// connection a Manager keeps when it is given no process listener, so that
// operators can find it in pg_stat_activity.
const ListenerApplicationName = "casebridge-keys-listener"

// listenerPID is the backend pid of the listening connection (0 while there
// is none), for operators' logs and tests.
func (m *Manager) listenerPID() uint32 { return m.notices.PID() }

// rotationNotice handles a rotation that was started, extended or
// finished somewhere: this server joins the work (or re-reads the key
// directory). The payload is only a hint: the worker verifies the row.
func (m *Manager) rotationNotice(payload string) {
	if checkUUID("rotation id", payload) == nil {
		m.startWorker(payload)
	}
	m.rotationNotices.Add(1)
}

// rotationsUp looks for running rotations again once rotation notices are
// heard again, in the background (the listener's handlers must not wait
// on the database).
func (m *Manager) rotationsUp() {
	if !m.participating.Load() {
		return
	}
	m.listener.Add(1)
	go func() {
		defer m.listener.Done()
		if _, err := m.resumeRunning(m.ctx); err != nil && m.ctx.Err() == nil {
			m.log.Warn("resume key rotations after reconnect", "error", err)
		}
	}()
}

// sleep waits for d or until ctx ends, reporting whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
