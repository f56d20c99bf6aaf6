package keys

import (
	"context"
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
	// extended or finished, so every replica joins the work or destroys its
	// copy of the retired keys.
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

// subscribe takes a connection out of the pool for good and listens on it.
func (m *Manager) subscribe(ctx context.Context) (*pgx.Conn, error) {
	pc, err := m.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	conn := pc.Hijack()
	if _, err := conn.Exec(ctx, "LISTEN "+caseKeysChannel+"; LISTEN "+rotationsChannel); err != nil {
		closeConn(conn)
		return nil, err
	}
	return conn, nil
}

func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn.Close(ctx)
}

// listen dispatches notifications until Close, reconnecting with backoff.
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
			m.setListening(true)
			if m.participating.Load() {
				// Rotation notifications may have been missed.
				if _, err := m.resumeRunning(m.ctx); err != nil && m.ctx.Err() == nil {
					m.log.Warn("resume key rotations after reconnect", "error", err)
				}
			}
		}
		n, err := conn.WaitForNotification(m.ctx)
		if err != nil {
			m.setListening(false)
			closeConn(conn)
			conn = nil
			if m.ctx.Err() != nil {
				return
			}
			m.log.Warn("key notifications interrupted; cache bypassed until resubscribed", "error", err)
			continue
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
