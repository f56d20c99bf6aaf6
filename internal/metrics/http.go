package metrics

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HTTP protocols the HTTP listener (--http-listen) tells apart, by the
// request's content type: the label values of casebridge_http_requests_total.
var httpProtocols = []string{"connect", "grpc_web", "grpc", "other"}

// httpProtocol classifies a request by its content type alone (never its
// path or anything else the caller chose freely).
func httpProtocol(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/grpc-web"):
		return "grpc_web"
	case strings.HasPrefix(ct, "application/grpc"):
		return "grpc"
	case strings.HasPrefix(ct, "application/connect+"), strings.HasPrefix(ct, "application/json"), strings.HasPrefix(ct, "application/proto"):
		return "connect"
	}
	return "other"
}

// HTTPHandler counts the HTTP listener's requests by protocol and HTTP
// status code, and the requests in flight. The calls themselves are
// counted and timed by method and gRPC code with every other call (they
// are transcoded into calls on the gRPC server); this says which protocol
// brought them and how many the listener refused before they became calls.
func (m *Metrics) HTTPHandler(h http.Handler) http.Handler {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "casebridge_http_requests_total",
		Help: "Requests on the Connect and gRPC-Web listener, by protocol (from the content type) and HTTP status code.",
	}, []string{"protocol", "code"})
	inFlight := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "casebridge_http_requests_in_flight",
		Help: "Requests on the Connect and gRPC-Web listener being answered now (a gRPC-Web or Connect stream counts while open).",
	})
	m.Registry.MustRegister(requests, inFlight)
	byProtocol := map[string]http.Handler{}
	for _, p := range httpProtocols {
		// promhttp's wrapper keeps the writer's Flusher, which streaming
		// responses need.
		byProtocol[p] = promhttp.InstrumentHandlerCounter(requests.MustCurryWith(prometheus.Labels{"protocol": p}), h)
	}
	return promhttp.InstrumentHandlerInFlight(inFlight, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		byProtocol[httpProtocol(r)].ServeHTTP(w, r)
	}))
}
