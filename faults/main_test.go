package faults

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// serverBin is casebridged, built once for the whole suite.
var serverBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "casebridge-faults-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBin, err = BuildServer(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// report logs one row of the README's reliability table.
func report(t *testing.T, fault string, r Result, recovery time.Duration) {
	t.Helper()
	t.Logf("RELIABILITY | %s | %d | %d | %d | %s |", fault, r.Acked, r.Found, r.Lost(), recovery.Round(10*time.Millisecond))
	if r.Lost() != 0 {
		t.Errorf("%s: %s", fault, r)
	}
}

// loadFor lets the workload run until it has at least n more acknowledged
// writes (or a minute passed).
func loadFor(t *testing.T, w *Workload, n int) {
	t.Helper()
	want := w.Ledger.Acked() + n
	for deadline := time.Now().Add(time.Minute); w.Ledger.Acked() < want; {
		if time.Now().After(deadline) {
			t.Fatalf("the workload made %d acknowledged writes in a minute, wanted %d (%s)", w.Ledger.Acked(), want, w.Ledger.Codes())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clean asserts that no call ended Internal and every attempt honoured its
// deadline.
func clean(t *testing.T, w *Workload) {
	t.Helper()
	for _, s := range w.Ledger.Internal() {
		t.Errorf("an Internal answer under the fault: %s", s)
	}
	for _, s := range w.Ledger.Overruns() {
		t.Errorf("a call outlived its deadline: %s", s)
	}
	t.Logf("attempts: %s; operations %d, never acknowledged %d", w.Ledger.Codes(), w.Ops(), w.Unacked())
}
