package keys

import (
	"os"
	"strconv"
	"time"
)

// Fault-injection knobs, for the fault suite (faults/) only: they slow key
// rotations down so that a test can kill the server provably between two
// batches of a rotation. Both are unset (off) by default, and a server
// that finds them set says so in its log at every start.
const (
	// FaultRotationPauseEnv is a duration (e.g. "1s"): after each committed
	// batch, a rotation worker waits this long before the next one.
	FaultRotationPauseEnv = "CASEBRIDGE_FAULT_ROTATION_PAUSE"
	// FaultRotationBatchEnv is a count of case keys: each rotation batch
	// re-wraps at most this many (instead of 200). Honoured only with
	// FaultRotationPauseEnv.
	FaultRotationBatchEnv = "CASEBRIDGE_FAULT_ROTATION_BATCH"
)

// faultPauseFromEnv applies the fault-injection knobs to m, if set.
func (m *Manager) faultPauseFromEnv() {
	pause, err := time.ParseDuration(os.Getenv(FaultRotationPauseEnv))
	if err != nil || pause <= 0 {
		return
	}
	if n, err := strconv.Atoi(os.Getenv(FaultRotationBatchEnv)); err == nil && n > 0 {
		m.batchSize = n
	}
	m.afterBatch = func() { sleep(m.ctx, pause) }
	m.log.Warn("FAULT INJECTION: key rotations pause after each batch (unset "+FaultRotationPauseEnv+" in production)",
		"pause", pause, "batch_size", m.batchSize)
}
