package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// freeAddr is a loopback address nothing listens on (the admin listener
// is opened by Serve, after the test chose its address).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func scrape(t *testing.T, admin string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// value sums the family's samples whose labels include want.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	var sum float64
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// TestMetricsAfterAStoryCarryNoCaseData drives a case through intake,
// reads, a referral and a watch, then scrapes the admin listener: the RPC,
// pool, audit, key-cache and stream metrics moved, and no label value is a
// case id, a subject, an organisation or a marker from the case's data.
func TestMetricsAfterAStoryCarryNoCaseData(t *testing.T) {
	admin := freeAddr(t)
	env := servertest.Start(t, func(c *server.Config) {
		c.AdminListen = admin
		c.ConsentSweep = 50 * time.Millisecond
	})

	cw := env.As(t, "caseworker@shelter-a")
	caseID := env.ReferredCase(t)
	for range 3 {
		if _, err := env.Cases().GetCase(cw, &casebridgev1.GetCaseRequest{Id: caseID}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.Cases().GetCase(cw, &casebridgev1.GetCaseRequest{Id: "00000000-0000-4000-8000-000000000000"}); err == nil {
		t.Fatal("GetCase of a missing case succeeded")
	}
	watchCtx, stopWatch := context.WithCancel(env.As(t, "lawyer@legal-b"))
	defer stopWatch()
	watch, err := casebridgev1.NewReferralServiceClient(env.Conn).WatchReferrals(watchCtx, &casebridgev1.WatchReferralsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := watch.Header(); err != nil {
		t.Fatal(err)
	}

	var fams map[string]*dto.MetricFamily
	watchMethod := map[string]string{"grpc_method": casebridgev1.ReferralService_WatchReferrals_FullMethodName}
	deadline := time.Now().Add(5 * time.Second)
	for {
		fams = scrape(t, admin)
		swept := value(fams, "casebridge_consent_sweeps_total", map[string]string{"result": "nothing_lapsed"}) > 0
		if value(fams, "casebridge_open_streams", watchMethod) == 1 && swept || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := value(fams, "casebridge_open_streams", watchMethod); got != 1 {
		t.Errorf("open WatchReferrals streams = %v, want 1", got)
	}
	if got := value(fams, "casebridge_consent_sweeps_total", map[string]string{"result": "nothing_lapsed"}); got <= 0 {
		t.Errorf("consent sweeps = %v, want > 0", got)
	}
	getCase := map[string]string{"grpc_service": "casebridge.v1.CaseService", "grpc_method": "GetCase"}
	if got := value(fams, "grpc_server_handled_total", with(getCase, "grpc_code", "OK")); got != 3 {
		t.Errorf("GetCase OK = %v, want 3", got)
	}
	if got := value(fams, "grpc_server_handled_total", with(getCase, "grpc_code", "NotFound")); got != 1 {
		t.Errorf("GetCase NotFound = %v, want 1 (the code the client saw)", got)
	}
	if got := value(fams, "grpc_server_handling_seconds", getCase); got != 4 {
		t.Errorf("GetCase latency samples = %v, want 4", got)
	}
	for _, name := range []string{"casebridge_db_pool_connections_max", "casebridge_db_pool_acquires_total", "casebridge_audit_group_commit_events",
		"casebridge_key_cache_hits_total"} {
		if got := value(fams, name, nil); got <= 0 {
			t.Errorf("%s = %v, want > 0", name, got)
		}
	}
	// The demo world's keys were created by this server at start-up: the
	// keyring has changed since any backup, and the metrics say when.
	if got := value(fams, "casebridge_keyring_changed_timestamp_seconds", nil); got < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("casebridge_keyring_changed_timestamp_seconds = %v, want the time the demo keys were made", got)
	}
	if got := value(fams, "casebridge_keyring_keys_created_total", nil); got < 4 {
		t.Errorf("casebridge_keyring_keys_created_total = %v, want one per demo organisation", got)
	}
	for _, name := range []string{"casebridge_audit_queue_depth", "casebridge_key_cache_misses_total", "casebridge_consent_sweeps_total", "casebridge_key_rotations_running", "casebridge_key_rotation_total",
		"casebridge_keyring_keys_destroyed_total", "go_goroutines"} {
		if fams[name] == nil {
			t.Errorf("%s missing", name)
		}
	}

	forbidden := []string{caseID, "shelter-a", "legal-b", "caseworker", "lawyer", "Marker-", "5150"}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				for _, bad := range forbidden {
					if strings.Contains(l.GetValue(), bad) {
						t.Errorf("%s{%s=%q} carries %q", name, l.GetName(), l.GetValue(), bad)
					}
				}
			}
		}
	}

	// The same port answers the probes' plaintext gRPC health check and pprof.
	conn, err := grpc.NewClient(admin, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hc, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || hc.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("admin health = %v, %v; want SERVING", hc, err)
	}
	resp, err := http.Get("http://" + admin + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Errorf("pprof: %s", resp.Status)
	}
	// The API itself is not on the admin port.
	_, err = casebridgev1.NewCaseServiceClient(conn).GetCase(env.As(t, "caseworker@shelter-a"), &casebridgev1.GetCaseRequest{Id: caseID})
	servertest.WantCode(t, err, 12) // Unimplemented
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for kk, vv := range m {
		out[kk] = vv
	}
	return out
}
