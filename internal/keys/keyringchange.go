package keys

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// A keyring backup holds the organisation keys that existed when it was
// taken. Every key created (an organisation registered, a rotation or an
// erasure started) is missing from older backups, so a database backup
// taken after it cannot be opened with them; every key destroyed (a
// rotation or an erasure finished) lives on only in older backups, which
// the erasure promise says to destroy. Either way the operator must take a
// new keyring backup, and the server says so: a log line naming the key ids
// (never a key), counters, and the time the keyring last changed.

// KeyringChanges is what this server changed in the keyring since it
// started.
type KeyringChanges struct {
	Created, Destroyed int64
	// Last is when this server last created or destroyed a key; zero if it
	// has not.
	Last time.Time
}

// keyringChanges records this server's changes (see KeyringChanges).
type keyringChanges struct {
	mu sync.Mutex
	KeyringChanges
}

// keyringChanged records and logs that this server created or destroyed
// key files.
func (m *Manager) keyringChanged(orgID string, created, destroyed []string) {
	if len(created) == 0 && len(destroyed) == 0 {
		return
	}
	c := &m.changes
	c.mu.Lock()
	c.Created += int64(len(created))
	c.Destroyed += int64(len(destroyed))
	c.Last = time.Now()
	c.mu.Unlock()
	m.log.Info("keyring changed: take a new keyring backup",
		"organization_id", orgID, "created_key_ids", created, "destroyed_key_ids", destroyed)
}

// KeyringChanges reports what this server changed in the keyring since it
// started.
func (m *Manager) KeyringChanges() KeyringChanges {
	m.changes.mu.Lock()
	defer m.changes.mu.Unlock()
	return m.changes.KeyringChanges
}

// KeyringChangedAt is when any server last recorded a key created or
// retired (destroyed), from the database: every replica reports the same
// time, whichever made the change. A keyring backup older than it lacks a
// key the database needs, or still holds one that was destroyed. Zero if
// there is no key.
func (m *Manager) KeyringChangedAt(ctx context.Context) (time.Time, error) {
	var at *time.Time
	err := m.pool.QueryRow(ctx,
		"SELECT greatest(max(create_time), max(retire_time)) FROM organization_keys").Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("keys: keyring changed at: %w", err)
	}
	if at == nil {
		return time.Time{}, nil
	}
	return *at, nil
}
