package server_test

import (
	"strings"
	"testing"

	"github.com/casebridge/casebridge/internal/server"
)

// A malformed --otlp-endpoint stops the server at start with an error
// naming the flag (the exporter alone would log it and send nowhere).
func TestValidateRefusesABadOTLPEndpoint(t *testing.T) {
	for endpoint, ok := range map[string]bool{"": true, "collector:4317": true, "https://otel.example.org:4317": true,
		"grpc://collector:4317": false, "collector": false, "http://collector:4317/v1/traces": false} {
		cfg := server.Config{Dev: true, DataDir: t.TempDir(), DatabaseURL: "postgres://unused", OTLPEndpoint: endpoint}
		err := cfg.Validate()
		if ok && err != nil {
			t.Errorf("%q refused: %v", endpoint, err)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "--otlp-endpoint")) {
			t.Errorf("%q: %v, want an error naming --otlp-endpoint", endpoint, err)
		}
	}
}
