package loadtest

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memSampler samples the server's memory every 100 ms and keeps the peak
// over the whole run and over the current workload's window.
type memSampler struct {
	read   func() (uint64, bool) // current bytes
	method string

	mu      sync.Mutex
	overall uint64
	window  uint64
	stop    chan struct{}
	done    chan struct{}
}

// processMemory samples a subprocess's resident set (VmRSS) from /proc.
func processMemory(pid int) *memSampler {
	path := fmt.Sprintf("/proc/%d/status", pid)
	return &memSampler{
		method: "casebridged subprocess: peak resident set (VmRSS sampled every 100 ms, and VmHWM)",
		read: func() (uint64, bool) {
			v, ok := procStatus(path)["VmRSS"]
			return v, ok
		},
	}
}

// selfMemory samples this process's Go heap and stacks in use: with the
// server in-process it counts the harness's own memory too.
func selfMemory() *memSampler {
	return &memSampler{
		method: "in-process server: Go HeapInuse+StackInuse of the whole process, harness included (sampled every 100 ms)",
		read: func() (uint64, bool) {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			return ms.HeapInuse + ms.StackInuse, true
		},
	}
}

func (m *memSampler) start() {
	m.stop, m.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(m.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			m.sample()
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
}

func (m *memSampler) sample() {
	v, ok := m.read()
	if !ok {
		return
	}
	m.mu.Lock()
	m.overall = max(m.overall, v)
	m.window = max(m.window, v)
	m.mu.Unlock()
}

// finish stops sampling; it may be called more than once.
func (m *memSampler) finish() {
	if m == nil || m.stop == nil {
		return
	}
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	<-m.done
}

// resetWindow starts a new workload's window.
func (m *memSampler) resetWindow() {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.window = 0
	m.mu.Unlock()
	m.sample()
}

func (m *memSampler) windowPeakMB() float64 {
	if m == nil {
		return 0
	}
	m.sample()
	m.mu.Lock()
	defer m.mu.Unlock()
	return mb(m.window)
}

func (m *memSampler) overallPeak() uint64 {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.overall
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

// procStatus reads the kB fields of a /proc/PID/status file, in bytes.
func procStatus(path string) map[string]uint64 {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	out := map[string]uint64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasPrefix(name, "Vm") {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 2 && fields[1] == "kB" {
			if v, err := strconv.ParseUint(fields[0], 10, 64); err == nil {
				out[name] = v * 1024
			}
		}
	}
	return out
}
