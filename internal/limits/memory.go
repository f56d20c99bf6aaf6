package limits

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/docker/go-units"
)

// Memory limit defaults: a soft limit leaves the garbage collector room to
// work harder before the kernel's hard limit kills the process.
const (
	// cgroupShare of a container's memory limit becomes the soft limit.
	cgroupShare = 0.8
	// uncontainedLimit is the soft limit outside a container: a modest
	// server (4 GB) also runs PostgreSQL.
	uncontainedLimit = 1 << 30
)

// SetMemoryLimit sets the Go runtime's soft memory limit
// (runtime/debug.SetMemoryLimit, through automemlimit, which reads the
// container's cgroup limit) from spec: "" for automatic (80% of the
// container's memory limit, else 1 GiB), "off" for none, or a size such as
// "768MiB". A GOMEMLIMIT set in the environment wins over all of them. It
// returns the limit in force.
func SetMemoryLimit(spec string, log *slog.Logger) (int64, error) {
	opts := []memlimit.Option{memlimit.WithLogger(log), memlimit.WithRatio(1)}
	switch s := strings.TrimSpace(spec); s {
	case "":
		opts = append(opts, memlimit.WithProvider(memlimit.ApplyFallback(
			memlimit.ApplyRatio(memlimit.FromCgroup, cgroupShare), memlimit.Limit(uncontainedLimit))))
	case "off":
		return memlimit.Set(append(opts, memlimit.WithProvider(func() (uint64, error) { return 0, memlimit.ErrNoLimit }))...)
	default:
		n, err := units.RAMInBytes(s)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("--memory-limit %q: want a size such as 768MiB, or off", spec)
		}
		opts = append(opts, memlimit.WithProvider(memlimit.Limit(uint64(n))))
	}
	return memlimit.Set(opts...)
}
