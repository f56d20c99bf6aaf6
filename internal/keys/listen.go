package keys

import (
	"context"
	"fmt"
	"time"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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

// startListener subscribes once synchronously, so that a Manager that can
// reach PostgreSQL caches from its first read, then keeps the subscription
// alive in the background.
func (m *Manager) startListener() {
	ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
	conn, err := m.subscribe(ctx)
	cancel()
	if err != nil {
		m.log.Warn("key cache disabled until notifications can be received", "error", err)
	} else {
		m.setListening(true)
	}
	m.listener.Add(1)
	go m.listen(conn)
}

// ListenerApplicationName is the application_name of the connection that
// listens for key notifications, so that operators can find it in
// pg_stat_activity.
const ListenerApplicationName = "casebridge-keys-listener"

// subscribe takes a connection out of the pool for good and listens on it.
func (m *Manager) subscribe(ctx context.Context) (*pgx.Conn, error) {
	pc, err := m.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	conn := pc.Hijack()
	if _, err := conn.Exec(ctx, "SET application_name = '"+ListenerApplicationName+"'; LISTEN "+caseKeysChannel+"; LISTEN "+rotationsChannel); err != nil {
		closeConn(conn)
		return nil, err
	}
	m.listenerPID.Store(conn.PgConn().PID())
	return conn, nil
}

func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn.Close(ctx)
}

// listen dispatches notifications until Close, reconnecting with backoff.
// A connection that stays quiet for healthCheck is pinged: PostgreSQL sends
// pending notifications before it answers, so a successful ping proves that
// everything committed before it has been seen, and a failed (or
// unanswered) one means notifications may be lost, so the cache is dropped
// and the listener reconnects.
func (m *Manager) listen(conn *pgx.Conn) {
	defer m.listener.Done()
	const maxBackoff = 10 * time.Second
	backoff := 100 * time.Millisecond
	for {
		if conn == nil {
			c, err := m.subscribe(m.ctx)
			if err != nil {
				if m.ctx.Err() != nil {
					return
				}
				m.log.Warn("subscribe to key notifications", "error", err)
				if !sleep(m.ctx, backoff) {
					return
				}
				backoff = min(2*backoff, maxBackoff)
				continue
			}
			conn, backoff = c, 100*time.Millisecond
			m.setListening(true) // drops whatever may have been missed
			if m.participating.Load() {
				// Rotation notifications may have been missed.
				if _, err := m.resumeRunning(m.ctx); err != nil && m.ctx.Err() == nil {
					m.log.Warn("resume key rotations after reconnect", "error", err)
				}
			}
		}
		err := m.awaitNotifications(conn)
		m.setListening(false)
		m.listenerPID.Store(0)
		closeConn(conn)
		conn = nil
		if m.ctx.Err() != nil {
			return
		}
		m.log.Warn("key notifications interrupted; cache bypassed until resubscribed", "error", err)
	}
}

// awaitNotifications dispatches notifications on conn, pinging it whenever
// it has been quiet for healthCheck, until it fails or Close.
func (m *Manager) awaitNotifications(conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(m.ctx, m.healthCheck)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			m.dispatch(n)
			m.proveAlive()
			continue
		case m.ctx.Err() != nil:
			return m.ctx.Err()
		case !pgconn.Timeout(err):
			return fmt.Errorf("wait for notification: %w", err)
		}
		pctx, cancel := context.WithTimeout(m.ctx, m.healthCheck)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return fmt.Errorf("health check: %w", err)
		}
		m.drain(conn)
		m.proveAlive()
	}
}

// drain dispatches the notifications pgx buffered while a ping ran.
func (m *Manager) drain(conn *pgx.Conn) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for {
		n, _ := conn.WaitForNotification(done)
		if n == nil {
			return
		}
		m.dispatch(n)
	}
}

func (m *Manager) dispatch(n *pgconn.Notification) {
	switch n.Channel {
	case caseKeysChannel:
		m.cacheInvalidate(n.Payload)
	case rotationsChannel:
		if checkUUID("rotation id", n.Payload) == nil {
			m.startWorker(n.Payload)
		}
		m.rotationNotices.Add(1)
	}
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
