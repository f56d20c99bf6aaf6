//go:build soak

package faults

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// sample is one second's reading of the server.
type sample struct {
	rss, goroutines, conns, auditQueue float64
}

// TestSoak runs the mixed workload for SOAK_DURATION (10 minutes unless
// set) against a server on loopback, sampling every second its resident
// memory, goroutines and audit queue (from its /metrics) and its open
// PostgreSQL connections. At the end they must be flat: the last minute's
// means within bounds of the first minute's, and the audit queue empty.
// It runs only under `make soak` (build tag soak): it is long by design.
func TestSoak(t *testing.T) {
	d := 10 * time.Minute
	if s := os.Getenv("SOAK_DURATION"); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			t.Fatalf("SOAK_DURATION: %v", err)
		}
	}
	window := min(time.Minute, d/4)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := lis.Addr().String()
	lis.Close()
	cl := StartCluster(t)
	url := cl.Database(t, "casebridge")
	srv := StartServer(t, serverBin, url, "--admin-listen", admin)
	db, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	w := NewWorkload(t, srv, Options{})
	w.Start()

	var samples []sample
	start := time.Now()
	for tick := time.NewTicker(time.Second); time.Since(start) < d; <-tick.C {
		m := scrape(t, admin)
		var conns float64
		_ = db.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&conns)
		samples = append(samples, sample{rss: float64(rssOf(srv.Pid())), goroutines: m["go_goroutines"], conns: conns, auditQueue: m["casebridge_audit_queue_depth"]})
	}
	w.Stop()
	time.Sleep(2 * time.Second)
	final := scrape(t, admin)

	n := int(window / time.Second)
	first, last := mean(samples[:n]), mean(samples[len(samples)-n:])
	t.Logf("SOAK | %s | writes acknowledged %d | RSS %.1f -> %.1f MiB | goroutines %.0f -> %.0f | PostgreSQL connections %.1f -> %.1f | audit queue %.1f -> %.1f, %v at the end |",
		d, w.Ledger.Acked(), first.rss/(1<<20), last.rss/(1<<20), first.goroutines, last.goroutines, first.conns, last.conns, first.auditQueue, last.auditQueue, final["casebridge_audit_queue_depth"])
	if last.rss > first.rss*1.5+32<<20 {
		t.Errorf("resident memory grew from %.1f to %.1f MiB", first.rss/(1<<20), last.rss/(1<<20))
	}
	if last.goroutines > first.goroutines*1.2+20 {
		t.Errorf("goroutines grew from %.0f to %.0f", first.goroutines, last.goroutines)
	}
	if last.conns > first.conns+4 {
		t.Errorf("PostgreSQL connections grew from %.1f to %.1f", first.conns, last.conns)
	}
	if final["casebridge_audit_queue_depth"] != 0 {
		t.Errorf("audit queue holds %v events after the load stopped", final["casebridge_audit_queue_depth"])
	}
	clean(t, w)
	if r := Check(t, srv, url, w.Ledger); r.Lost() != 0 {
		t.Errorf("soak: %s", r)
	}
}

func mean(s []sample) sample {
	var m sample
	for _, x := range s {
		m.rss += x.rss / float64(len(s))
		m.goroutines += x.goroutines / float64(len(s))
		m.conns += x.conns / float64(len(s))
		m.auditQueue += x.auditQueue / float64(len(s))
	}
	return m
}

// scrape reads the unlabelled metrics of the server's /metrics.
func scrape(t *testing.T, admin string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://%s/metrics", admin))
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && !strings.HasPrefix(f[0], "#") {
			if v, err := strconv.ParseFloat(f[1], 64); err == nil {
				out[f[0]] = v
			}
		}
	}
	return out
}
