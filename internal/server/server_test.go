package server_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	reflectpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/policies"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestReflectionListsServices is what `grpcurl -plaintext ADDR list` does:
// dev mode has reflection on by default.
func TestReflectionListsServices(t *testing.T) {
	env := servertest.Start(t)
	got, err := listServices(env.Conn)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"grpc.health.v1.Health", "casebridge.v1.CaseService", "casebridge.v1.OrganizationService"} {
		if !got[want] {
			t.Errorf("reflection does not list %s (got %v)", want, got)
		}
	}
}

// TestReflectionOff: --reflection off removes the reflection service, even
// in dev mode; the API itself still answers.
func TestReflectionOff(t *testing.T) {
	env := servertest.Start(t, func(c *server.Config) { c.Reflection = "off" })
	if got, err := listServices(env.Conn); status.Code(err) != codes.Unimplemented {
		t.Fatalf("reflection off: listed %v, err %v; want Unimplemented", got, err)
	}
	if _, err := env.Organizations().GetCallerIdentity(env.As(t, "caseworker@shelter-a"), &casebridgev1.GetCallerIdentityRequest{}); err != nil {
		t.Fatalf("API with reflection off: %v", err)
	}
}

// TestReflectionDefaults: auto is on in dev mode only; a wrong value is
// refused at start.
func TestReflectionDefaults(t *testing.T) {
	for _, tc := range []struct {
		value string
		dev   bool
		want  bool
	}{{"", false, false}, {"auto", false, false}, {"auto", true, true}, {"on", false, true}, {"off", true, false}} {
		c := server.Config{Reflection: tc.value, Dev: tc.dev}
		if got, err := c.ReflectionEnabled(); err != nil || got != tc.want {
			t.Errorf("reflection %q dev=%v: %v, %v; want %v", tc.value, tc.dev, got, err, tc.want)
		}
	}
	c := server.Config{Reflection: "yes", DatabaseURL: "postgres://x", Dev: true, DataDir: t.TempDir()}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--reflection") {
		t.Fatalf("--reflection yes: %v", err)
	}
}

// listServices asks the server's reflection service for its services.
func listServices(conn *grpc.ClientConn) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := reflectpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		return nil, err
	}
	// io.EOF from Send means the server has ended the stream already (an
	// unknown service is refused at once): its status comes from Recv.
	if err := stream.Send(&reflectpb.ServerReflectionRequest{MessageRequest: &reflectpb.ServerReflectionRequest_ListServices{}}); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	resp, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	got := map[string]bool{}
	for _, s := range resp.GetListServicesResponse().GetService() {
		got[s.GetName()] = true
	}
	return got, nil
}

// TestAuthenticationErrors: every way a token can be wrong is
// Unauthenticated, with a message that says which.
func TestAuthenticationErrors(t *testing.T) {
	env := servertest.Start(t)
	other, err := authn.LoadOrCreateDevIssuer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := other.Mint("caseworker@shelter-a", time.Hour)
	valid := env.Token(t, "caseworker@shelter-a")
	expired := env.ExpiredToken(t, "caseworker@shelter-a")
	tests := []struct {
		name, header, want string
	}{
		{"no token", "", "no bearer token"},
		{"not bearer", "Basic dXNlcjpwYXNz", "malformed"},
		{"garbage", "Bearer not-a-jwt", "malformed"},
		{"signed by another key", "Bearer " + forged, "signature"},
		{"expired", "Bearer " + expired, "expired"},
		{"tampered payload", "Bearer " + tamper(valid), "signature"},
	}
	orgs := env.Organizations()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.header != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", tc.header)
			}
			_, err := orgs.GetCallerIdentity(ctx, &casebridgev1.GetCallerIdentityRequest{})
			st, _ := status.FromError(err)
			if st.Code() != codes.Unauthenticated {
				t.Fatalf("want Unauthenticated, got %v: %s", st.Code(), st.Message())
			}
			if !strings.Contains(st.Message(), tc.want) {
				t.Fatalf("message %q does not say %q", st.Message(), tc.want)
			}
			if tc.header != "" && strings.Contains(st.Message(), strings.TrimPrefix(tc.header, "Bearer ")) {
				t.Fatal("the token is echoed in the error")
			}
		})
	}
	me, err := orgs.GetCallerIdentity(env.As(t, "caseworker@shelter-a"), &casebridgev1.GetCallerIdentityRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if me.GetSubject() != "caseworker@shelter-a" || len(me.GetMemberships()) != 1 ||
		me.GetMemberships()[0].GetOrganizationId() != "shelter-a" ||
		me.GetMemberships()[0].GetRoles()[0] != casebridgev1.Role_ROLE_CASEWORKER {
		t.Fatalf("caller identity: %v", me)
	}
}

// tamper changes one character of the payload, keeping the signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	p := []byte(parts[1])
	if p[5] == 'A' {
		p[5] = 'B'
	} else {
		p[5] = 'A'
	}
	return parts[0] + "." + string(p) + "." + parts[2]
}

// TestProductionModeRefusesToStartUnprotected: outside dev mode the server
// needs TLS and a token issuer, and says so.
func TestProductionModeRefusesToStartUnprotected(t *testing.T) {
	cfg := server.Config{DatabaseURL: "postgres://unused", KeyringDir: t.TempDir()}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("production config without TLS and issuer was accepted")
	}
	for _, want := range []string{"TLS is required", "token issuer configuration is required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	cfg = server.Config{DatabaseURL: "postgres://unused", KeyringDir: t.TempDir(),
		TLSCert: "c.pem", TLSKey: "k.pem", Issuer: "https://id", JWKSFile: "jwks.json"}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("complete production config refused: %v", err)
	}
}

// TestEveryRegisteredMethodHasAPermission: the server refuses (fails
// closed) any method without an entry, so every registered method must have one.
func TestEveryRegisteredMethodHasAPermission(t *testing.T) {
	env := servertest.Start(t)
	engine, err := authz.NewEngine(policies.Files(), authz.EngineOptions{PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	for svc, info := range env.Server.GRPC().GetServiceInfo() {
		if strings.HasPrefix(svc, "grpc.") {
			continue
		}
		for _, m := range info.Methods {
			full := "/" + svc + "/" + m.Name
			if _, ok := engine.Permission(full); !ok {
				t.Errorf("%s has no entry in policies/methods.csv", full)
			}
		}
	}
}

// TestGracefulShutdown: after the context ends, Serve returns and the
// port refuses new calls.
func TestGracefulShutdown(t *testing.T) {
	env := servertest.Start(t)
	conn, err := grpc.NewClient(env.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := casebridgev1.NewOrganizationServiceClient(conn).GetCallerIdentity(env.As(t, "caseworker@shelter-a"), &casebridgev1.GetCallerIdentityRequest{}); err != nil {
		t.Fatal(err)
	}
	env.Stop(t)
	ctx, cancel := context.WithTimeout(env.As(t, "caseworker@shelter-a"), 2*time.Second)
	defer cancel()
	_, err = casebridgev1.NewOrganizationServiceClient(conn).GetCallerIdentity(ctx, &casebridgev1.GetCallerIdentityRequest{})
	if c := status.Code(err); c != codes.Unavailable && c != codes.DeadlineExceeded {
		t.Fatalf("after shutdown: want Unavailable, got %v", err)
	}
}
