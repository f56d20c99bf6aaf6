package keys_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any of them leaves a goroutine
// running (a listener, worker or flusher that Close did not stop).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
