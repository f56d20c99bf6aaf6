package faults

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Proxy is a real TCP proxy between the server and PostgreSQL (toxiproxy,
// run as a library in the test process), through which the network
// misbehaves: latency, resets, a connection that stops answering.
type Proxy struct {
	p *toxiproxy.Proxy
	// URL is the database URL through the proxy.
	URL string
}

// NewProxy proxies the PostgreSQL of dbURL and returns dbURL rewritten to
// pass through it; it stops when t ends.
func NewProxy(t testing.TB, dbURL string) *Proxy {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(api, "postgres", "127.0.0.1:0", u.Host)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	u.Host = p.Listen
	return &Proxy{p: p, URL: u.String()}
}

// Add adds a toxic of kind (latency, reset_peer, timeout, ...) on both
// directions with its attributes as JSON, e.g. `{"latency": 300}`.
func (p *Proxy) Add(t testing.TB, name, kind, attributes string) {
	t.Helper()
	for _, dir := range []string{"upstream", "downstream"} {
		body := fmt.Sprintf(`{"name": %q, "type": %q, "stream": %q, "toxicity": 1, "attributes": %s}`, name+"-"+dir, kind, dir, attributes)
		if _, err := p.p.Toxics.AddToxicJson(strings.NewReader(body)); err != nil {
			t.Fatalf("add toxic %s: %v", name, err)
		}
	}
}

// Remove removes the toxic name of both directions.
func (p *Proxy) Remove(t testing.TB, name string) {
	t.Helper()
	for _, dir := range []string{"upstream", "downstream"} {
		if err := p.p.Toxics.RemoveToxic(context.Background(), name+"-"+dir); err != nil {
			t.Fatalf("remove toxic %s: %v", name, err)
		}
	}
}

// Cut closes every connection through the proxy and refuses new ones until
// Restore: each side sees its peer go away.
func (p *Proxy) Cut() { p.p.Stop() }

// Restore accepts connections again after Cut.
func (p *Proxy) Restore(t testing.TB) {
	t.Helper()
	if err := p.p.Start(); err != nil {
		t.Fatal(err)
	}
}
