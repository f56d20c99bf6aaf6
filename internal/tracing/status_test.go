package tracing_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/casebridge/casebridge/internal/tracing"
)

// TestSpanStatusCarriesNoMessage: otelgrpc puts the message of some codes
// (DataLoss, Unavailable, ...) in the span's status description; a
// message may quote the request, so the server's span keeps the code and
// drops the message. A real gRPC server on a real listener answers every
// call with a status quoting what the caller sent.
func TestSpanStatusCarriesNoMessage(t *testing.T) {
	const typed = "TypedVictimName"
	exp := tracetest.NewInMemoryExporter()
	tr, err := tracing.New(context.Background(), tracing.Options{Exporter: exp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Shutdown)
	srv := grpc.NewServer(grpc.StatsHandler(tr.StatsHandler()),
		grpc.UnknownServiceHandler(func(any, grpc.ServerStream) error {
			return status.Errorf(codes.DataLoss, "record %q failed its check", typed)
		}))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })

	err = conn.Invoke(context.Background(), "/test.Probe/Get", &emptypb.Empty{}, &emptypb.Empty{})
	if status.Code(err) != codes.DataLoss || !strings.Contains(status.Convert(err).Message(), typed) {
		t.Fatalf("the client did not get its message back: %v", err)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	s := spans[0]
	if strings.Contains(s.Status.Description, typed) {
		t.Errorf("span status quotes the request: %q", s.Status.Description)
	}
	found := false
	for _, a := range s.Attributes {
		if strings.Contains(a.Value.Emit(), typed) {
			t.Errorf("span attribute %s quotes the request", a.Key)
		}
		if a.Value.Emit() == "DATA_LOSS" {
			found = true
		}
	}
	if !found {
		t.Errorf("the span lost the status code: %v", s.Attributes)
	}
}
