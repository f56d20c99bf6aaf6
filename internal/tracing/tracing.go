// Package tracing sets up OpenTelemetry traces for the server: one span per
// gRPC call (otelgrpc's stats handler) and one per PostgreSQL statement
// inside it, exported over OTLP when an endpoint is configured and off
// otherwise. What a span may carry is decided here: method names, status
// codes and statement keywords, never a request's content, an SQL text or
// argument, a token or a key.
package tracing

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/stats"
)

// Options say where spans go. With neither set, tracing is off.
type Options struct {
	// Endpoint is the OTLP/gRPC collector: a URL (http://collector:4317 is
	// plaintext, https:// is TLS) or host:port (TLS).
	Endpoint string
	// Exporter, when set, receives every span as it ends (tests).
	Exporter sdktrace.SpanExporter
	// Version is the server's version, recorded on the resource.
	Version string
}

// Tracing is a configured tracer provider.
type Tracing struct {
	provider *sdktrace.TracerProvider
}

// New builds the tracer provider Options describe, or returns nil when
// tracing is off.
func New(ctx context.Context, o Options) (*Tracing, error) {
	var opt sdktrace.TracerProviderOption
	switch {
	case o.Exporter != nil:
		opt = sdktrace.WithSyncer(o.Exporter)
	case o.Endpoint != "":
		if err := CheckEndpoint(o.Endpoint); err != nil {
			return nil, err
		}
		exp, err := otlptracegrpc.New(ctx, endpointOption(o.Endpoint))
		if err != nil {
			return nil, fmt.Errorf("OTLP exporter %s: %w", o.Endpoint, err)
		}
		opt = sdktrace.WithBatcher(exp)
	default:
		return nil, nil
	}
	// OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME may add to or rename
	// the service; they come from the operator, not from callers.
	res, err := resource.New(ctx, resource.WithAttributes(
		attribute.String("service.name", "casebridged"), attribute.String("service.version", o.Version)),
		resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	return &Tracing{provider: sdktrace.NewTracerProvider(opt, sdktrace.WithResource(res))}, nil
}

// CheckEndpoint refuses an OTLP endpoint the exporter could not use: the
// exporter itself would only log a malformed URL and send nowhere, leaving
// an operator who asked for traces with none and no error. Accepted:
// http://host:port (plaintext), https://host:port (TLS), or host:port
// (TLS); an empty endpoint is tracing off.
func CheckEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	const want = "want http://host:port, https://host:port or host:port"
	hostPort := endpoint
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		if err != nil {
			return fmt.Errorf("--otlp-endpoint %q: not a URL: %s", endpoint, want)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return fmt.Errorf("--otlp-endpoint %q: scheme %q: %s (OTLP over gRPC)", endpoint, u.Scheme, want)
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("--otlp-endpoint %q: %s, with no path, query or credentials", endpoint, want)
		}
		hostPort = u.Host
		if u.Port() == "" {
			// The OTLP/gRPC port, as the exporter assumes.
			hostPort = net.JoinHostPort(u.Hostname(), "4317")
		}
	}
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return fmt.Errorf("--otlp-endpoint %q: %s", endpoint, want)
	}
	if host == "" || strings.ContainsAny(host, " /") {
		return fmt.Errorf("--otlp-endpoint %q: no host: %s", endpoint, want)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("--otlp-endpoint %q: port %q: want 1-65535", endpoint, port)
	}
	return nil
}

func endpointOption(endpoint string) otlptracegrpc.Option {
	if strings.Contains(endpoint, "://") {
		return otlptracegrpc.WithEndpointURL(endpoint)
	}
	return otlptracegrpc.WithEndpoint(endpoint)
}

// Provider is the tracer provider, for instrumentation.
func (t *Tracing) Provider() trace.TracerProvider { return t.provider }

// StatsHandler is the gRPC server's span per call. It records the method,
// the status code (never its message: see codeOnly) and the peer's
// address; no message events (they are opt-in), no metadata and no message
// content. Only the W3C
// trace context is taken from callers: baggage could carry anything.
func (t *Tracing) StatsHandler() stats.Handler {
	return codeOnly{otelgrpc.NewServerHandler(
		otelgrpc.WithTracerProvider(t.provider),
		// The Prometheus metrics already count and time calls.
		otelgrpc.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelgrpc.WithPropagators(propagation.TraceContext{}),
	)}
}

// Shutdown flushes the spans not yet exported.
func (t *Tracing) Shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = t.provider.Shutdown(ctx)
}
