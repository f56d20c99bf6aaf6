package main_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The server sets the soft memory limit it is given (--memory-limit), and
// under parallel import attacks with low caps its resident set stays
// within that bound (with room for what the Go heap does not count).
func TestMemoryLimitHoldsUnderImportAttack(t *testing.T) {
	const limitBytes = 128 * mb
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := l.Addr().String()
	l.Close()
	p := startServer(t, "--memory-limit=128MiB", "--admin-listen="+admin,
		"--limits-import=rate=10,burst=10,inflight=4,org-inflight=4,server-inflight=4")
	if got := gomemlimit(t, admin); got != limitBytes {
		t.Fatalf("go_gc_gomemlimit_bytes = %d, want %d", got, limitBytes)
	}
	const streams, rows, errBytes = 4, 60, 900 << 10
	huge := strings.Repeat("€", errBytes/3)
	base := p.rss()
	peak := base + p.peakGrowth(func() {
		var wg sync.WaitGroup
		for range streams {
			wg.Add(1)
			go func() {
				defer wg.Done()
				stream, err := casebridgev1.NewCaseServiceClient(p.conn).ImportCases(p.as("caseworker@shelter-a"))
				if err != nil {
					t.Error(err)
					return
				}
				if err := stream.Send(&casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Header{
					Header: &casebridgev1.ImportHeader{Source: "memory-attack.csv"}}}); err != nil {
					t.Error(err)
					return
				}
				for i := range rows {
					if err := stream.Send(&casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Row{
						Row: &casebridgev1.ImportRow{Line: int64(i + 1), ParseError: huge}}}); err != nil {
						t.Errorf("row %d: %v", i+1, err)
						return
					}
				}
				if _, err := stream.CloseAndRecv(); err != nil {
					t.Errorf("import: %v", err)
				}
			}()
		}
		wg.Wait()
	})
	t.Logf("resident set %.1f MB before, peak %.1f MB during %d parallel imports of %d rows of %d KB (soft limit %d MB)",
		float64(base)/mb, float64(peak)/mb, streams, rows, errBytes>>10, limitBytes/mb)
	if peak > limitBytes {
		t.Fatalf("the resident set peaked at %d MB, above the configured %d MB", peak/mb, limitBytes/mb)
	}
}

// gomemlimit reads the runtime's soft memory limit from the admin
// listener's metrics.
func gomemlimit(t *testing.T, admin string) uint64 {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := client.Get("http://" + admin + "/metrics")
		if err == nil {
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if v, ok := strings.CutPrefix(sc.Text(), "go_gc_gomemlimit_bytes "); ok {
					f, err := strconv.ParseFloat(v, 64)
					if err != nil {
						t.Fatal(err)
					}
					return uint64(f)
				}
			}
			io.Copy(io.Discard, resp.Body)
			t.Fatal("no go_gc_gomemlimit_bytes on /metrics")
		}
		if time.Now().After(deadline) {
			t.Fatalf("admin listener: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
