package server_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/policies"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// panicSecret stands for victim data a handler had in hand when it panicked.
const panicSecret = "Ana Petrović, Ulica 7"

// unaryMethod builds a unary method the way generated code does: the
// server's interceptors run around fn.
func unaryMethod(name string, fn func(req *wrapperspb.StringValue)) grpc.MethodDesc {
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			req := &wrapperspb.StringValue{}
			if err := dec(req); err != nil {
				return nil, err
			}
			h := func(context.Context, any) (any, error) { fn(req); return &wrapperspb.StringValue{}, nil }
			return ic(ctx, req, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/casebridge.test.Panicker/" + name}, h)
		},
	}
}

// panickerDesc is a service whose methods panic, one with a value built
// from the request as buggy handler code would.
var panickerDesc = grpc.ServiceDesc{
	ServiceName: "casebridge.test.Panicker",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		unaryMethod("Boom", func(req *wrapperspb.StringValue) { panic(fmt.Sprintf("cannot handle %s", req.GetValue())) }),
		unaryMethod("Nil", func(*wrapperspb.StringValue) {
			var m map[string]int
			m["x"]++ // a runtime error
		}),
	},
	Streams: []grpc.StreamDesc{{
		StreamName:    "BoomStream",
		ServerStreams: true,
		Handler: func(_ any, stream grpc.ServerStream) error {
			req := &wrapperspb.StringValue{}
			if err := stream.RecvMsg(req); err != nil {
				return err
			}
			panic(fmt.Errorf("stream of %s", req.GetValue()))
		},
	}},
}

// policyWithPanicker is the default policy plus the test service's methods,
// callable by anyone holding a role.
func policyWithPanicker(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{policies.ModelFile, policies.PolicyFile, policies.MethodsFile} {
		data, err := fs.ReadFile(policies.Files(), name)
		if err != nil {
			t.Fatal(err)
		}
		if name == policies.MethodsFile {
			data = append(data, []byte("\n/casebridge.test.Panicker/Boom, self, read\n"+
				"/casebridge.test.Panicker/Nil, self, read\n/casebridge.test.Panicker/BoomStream, self, read\n")...)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPanicAnswersInternalAndServerKeepsServing: a handler that panics (a
// unary call, a stream, a runtime error) fails that call alone with
// Internal; the server keeps answering other calls and the same one again.
// The log holds the stack, and never the panic text built from the request.
func TestPanicAnswersInternalAndServerKeepsServing(t *testing.T) {
	dir := policyWithPanicker(t)
	env := servertest.StartWith(t, func(r grpc.ServiceRegistrar) { r.RegisterService(&panickerDesc, struct{}{}) },
		func(c *server.Config) { c.PolicyDir = dir })
	ctx := env.As(t, "caseworker@shelter-a")
	orgs := env.Organizations()

	for round := range 2 {
		err := env.Conn.Invoke(ctx, "/casebridge.test.Panicker/Boom", wrapperspb.String(panicSecret), &wrapperspb.StringValue{})
		st := servertest.WantCode(t, err, codes.Internal)
		if strings.Contains(st.Message(), "Petrović") {
			t.Errorf("the client was told the panic text: %q", st.Message())
		}
		err = env.Conn.Invoke(ctx, "/casebridge.test.Panicker/Nil", wrapperspb.String(""), &wrapperspb.StringValue{})
		servertest.WantCode(t, err, codes.Internal)

		stream, err := env.Conn.NewStream(ctx, &panickerDesc.Streams[0], "/casebridge.test.Panicker/BoomStream")
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.SendMsg(wrapperspb.String(panicSecret)); err != nil {
			t.Fatal(err)
		}
		stream.CloseSend()
		servertest.WantCode(t, stream.RecvMsg(&wrapperspb.StringValue{}), codes.Internal)

		// The server still serves everyone else.
		if _, err := orgs.GetCallerIdentity(ctx, &casebridgev1.GetCallerIdentityRequest{}); err != nil {
			t.Fatalf("round %d: after panics the server no longer answers: %v", round, err)
		}
	}
	// So does a fresh connection (the process is alive, not just the old one).
	other, err := grpc.NewClient(env.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx2 := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+env.Token(t, "lawyer@legal-b"))
	if _, err := casebridgev1.NewOrganizationServiceClient(other).GetCallerIdentity(ctx2, &casebridgev1.GetCallerIdentityRequest{}); err != nil {
		t.Fatalf("a new connection after the panics: %v", err)
	}

	log := env.ServerLog()
	if n := strings.Count(log, "call panicked"); n != 6 {
		t.Errorf("%d panics logged, want 6:\n%s", n, log)
	}
	for _, want := range []string{"method=/casebridge.test.Panicker/Boom", "method=/casebridge.test.Panicker/BoomStream",
		"assignment to entry in nil map", "panic=string", "panic=*errors.errorString", "recover_test.go"} {
		if !strings.Contains(log, want) {
			t.Errorf("the server log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "Petrović") {
		t.Errorf("the server log holds the request's data:\n%s", log)
	}
}
