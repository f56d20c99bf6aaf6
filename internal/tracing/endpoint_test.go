package tracing_test

import (
	"context"
	"strings"
	"testing"

	"github.com/casebridge/casebridge/internal/tracing"
)

func TestCheckEndpoint(t *testing.T) {
	cases := []struct {
		endpoint string
		want     string // part of the error; "" means accepted
	}{
		{"", ""},
		{"collector:4317", ""},
		{"10.0.0.7:4317", ""},
		{"[::1]:4317", ""},
		{"http://collector:4317", ""},
		{"https://otel.example.org", ""},
		{"https://otel.example.org/", ""},
		{"collector", "want http://host:port, https://host:port or host:port"},
		{"collector:", "port \"\""},
		{"collector:http", "port \"http\""},
		{"collector:70000", "port \"70000\""},
		{":4317", "no host"},
		{"grpc://collector:4317", "scheme \"grpc\""},
		{"htp://collector:4317", "scheme \"htp\""},
		{"http://collector:4317/v1/traces", "no path"},
		{"https://user:pass@collector:4317", "credentials"},
		{"http://", "no host"},
		{"http://collector:99999", "port \"99999\""},
		{"http://col lector:4317", "not a URL"},
	}
	for _, tc := range cases {
		t.Run(tc.endpoint, func(t *testing.T) {
			err := tracing.CheckEndpoint(tc.endpoint)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && err == nil:
				t.Fatal("accepted")
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %q, want it to say %q", err, tc.want)
			case err != nil && !strings.Contains(err.Error(), "--otlp-endpoint"):
				t.Fatalf("error %q does not name the flag", err)
			}
		})
	}
}

// New refuses a bad endpoint rather than starting an exporter that sends
// nowhere.
func TestNewRefusesABadEndpoint(t *testing.T) {
	if _, err := tracing.New(context.Background(), tracing.Options{Endpoint: "grpc://collector:4317"}); err == nil {
		t.Fatal("New accepted grpc://collector:4317")
	}
}
