package keys

import (
	"context"
	"fmt"
)

// Progress sums the key rotations running now (across organisations, on
// every replica): how many, and how many case keys they have re-wrapped out
// of how many. Metrics read it; it names no organisation.
type Progress struct {
	Running     int64
	Done, Total int64
}

// RotationProgress reads Progress from the database.
func (m *Manager) RotationProgress(ctx context.Context) (Progress, error) {
	var p Progress
	err := m.pool.QueryRow(ctx,
		"SELECT count(*), coalesce(sum(done), 0)::bigint, coalesce(sum(total), 0)::bigint FROM key_rotations WHERE state = $1",
		RotationRunning).Scan(&p.Running, &p.Done, &p.Total)
	if err != nil {
		return Progress{}, fmt.Errorf("keys: rotation progress: %w", err)
	}
	return p, nil
}

// CacheStats are the case-key cache's hits and misses since start.
func (m *Manager) CacheStats() (hits, misses uint64) {
	if m.cache == nil {
		return 0, 0
	}
	return m.cache.Stats()
}
