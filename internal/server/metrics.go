package server

import (
	"context"
	"time"

	"github.com/casebridge/casebridge/internal/keys"
)

// registerGauges exports what is read at scrape time: the pool, the audit
// queue, the key cache, the rotations in progress and the keyring's last
// change.
func (s *Server) registerGauges() {
	m := s.metrics
	m.Pool("main", s.pool)
	m.Gauge("casebridge_notifications_listening", "1 while the notification listener is connected and has proved it delivers (key cache, memberships and referral watches rely on it), else 0.",
		func() float64 {
			if s.listener.Listening() {
				return 1
			}
			return 0
		})
	m.Gauge("casebridge_audit_queue_depth", "Audit read events waiting for a group commit.",
		func() float64 { return float64(s.audit.QueueDepth()) })
	m.Counter("casebridge_key_cache_hits_total", "Case-key lookups answered from memory.",
		func() float64 { h, _ := s.keys.CacheStats(); return float64(h) })
	m.Counter("casebridge_key_cache_misses_total", "Case-key lookups that had to unwrap the key.",
		func() float64 { _, miss := s.keys.CacheStats(); return float64(miss) })
	progress := func(f func(keys.Progress) int64) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			p, err := s.keys.RotationProgress(ctx)
			if err != nil {
				return 0
			}
			return float64(f(p))
		}
	}
	m.Gauge("casebridge_key_rotations_running", "Key rotations in progress (all organisations).",
		progress(func(p keys.Progress) int64 { return p.Running }))
	m.Gauge("casebridge_key_rotation_rewrapped", "Case keys re-wrapped so far by the rotations in progress.",
		progress(func(p keys.Progress) int64 { return p.Done }))
	m.Gauge("casebridge_key_rotation_total", "Case keys the rotations in progress have to re-wrap.",
		progress(func(p keys.Progress) int64 { return p.Total }))

	// When to take a new keyring backup: a backup older than the keyring's
	// last change lacks a key the database needs or keeps a destroyed one.
	m.Counter("casebridge_keyring_keys_created_total", "Organisation key files this server created (each needs a new keyring backup).",
		func() float64 { return float64(s.keys.KeyringChanges().Created) })
	m.Counter("casebridge_keyring_keys_destroyed_total", "Organisation key files this server destroyed (older keyring backups still hold them).",
		func() float64 { return float64(s.keys.KeyringChanges().Destroyed) })
	m.Gauge("casebridge_keyring_changed_timestamp_seconds",
		"When an organisation key was last created or destroyed, by any server (Unix time; 0 if never): keyring backups older than this are stale.",
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			at, err := s.keys.KeyringChangedAt(ctx)
			if err != nil || at.IsZero() {
				return 0
			}
			return float64(at.UnixMicro()) / 1e6
		})
}
