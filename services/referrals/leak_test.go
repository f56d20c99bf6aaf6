package referrals_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any of them leaves a goroutine
// running: a watch stream's feed, the hub's shared reader or its listener
// that the server's shutdown did not stop.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
