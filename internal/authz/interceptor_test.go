package authz

import (
	"context"
	"io/fs"
	"net"
	"testing"
	"testing/fstest"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/testdb"
	"github.com/casebridge/casebridge/policies"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// caseServer answers only when the interceptor put a Principal in the
// context, and records who it was.
type caseServer struct {
	casebridgev1.UnimplementedCaseServiceServer
	seen chan Principal
}

func (s *caseServer) GetCase(ctx context.Context, _ *casebridgev1.GetCaseRequest) (*casebridgev1.GetCaseResponse, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return nil, status.Error(codes.Internal, "no principal")
	}
	s.seen <- p
	return &casebridgev1.GetCaseResponse{}, nil
}

func (s *caseServer) ListCases(ctx context.Context, _ *casebridgev1.ListCasesRequest) (*casebridgev1.ListCasesResponse, error) {
	return &casebridgev1.ListCasesResponse{}, nil
}

func (s *caseServer) ImportCases(stream grpc.ClientStreamingServer[casebridgev1.ImportCasesRequest, casebridgev1.ImportCasesResponse]) error {
	p, ok := PrincipalFrom(stream.Context())
	if !ok {
		return status.Error(codes.Internal, "no principal")
	}
	s.seen <- p
	return stream.SendAndClose(&casebridgev1.ImportCasesResponse{})
}

// subjectFromMetadata stands in for the authentication interceptor, which
// runs before authorization and is tested in internal/authn.
func subjectFromMetadata(ctx context.Context) (string, bool) {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("x-test-subject"); len(v) == 1 {
		return v[0], true
	}
	return "", false
}

func serve(t *testing.T, engine *Engine, members MembershipSource) (*grpc.ClientConn, *caseServer) {
	t.Helper()
	unary, stream := Interceptors(engine, members, subjectFromMetadata, []string{"/grpc.health.v1.Health/"})
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(unary), grpc.ChainStreamInterceptor(stream))
	cs := &caseServer{seen: make(chan Principal, 10)}
	casebridgev1.RegisterCaseServiceServer(srv, cs)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis) //nolint:errcheck
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, cs
}

func as(t *testing.T, subject string) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	if subject == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "x-test-subject", subject)
}

func TestInterceptors(t *testing.T) {
	pool := testdb.New(t)
	addOrgs(t, pool, "shelter-a")
	addMember(t, pool, "shelter-a", "cw", "caseworker")
	addMember(t, pool, "shelter-a", "coord", "coordinator")
	members := startMembers(t, pool, MembersOptions{})
	conn, cs := serve(t, defaultEngine(t), members)
	cases := casebridgev1.NewCaseServiceClient(conn)

	unary := []struct {
		name    string
		subject string
		want    codes.Code
	}{
		{"member with the permission", "cw", codes.OK},
		{"member without it", "coord", codes.PermissionDenied},
		{"authenticated non-member", "stranger", codes.PermissionDenied},
		{"unauthenticated", "", codes.Unauthenticated},
	}
	for _, tc := range unary {
		t.Run("GetCase/"+tc.name, func(t *testing.T) {
			_, err := cases.GetCase(as(t, tc.subject), &casebridgev1.GetCaseRequest{})
			if got := status.Code(err); got != tc.want {
				t.Fatalf("code %v (%v), want %v", got, err, tc.want)
			}
			if tc.want == codes.OK {
				p := <-cs.seen
				if p.Subject != tc.subject || len(p.Memberships["shelter-a"]) != 1 {
					t.Errorf("handler saw %+v", p)
				}
			}
		})
		t.Run("ImportCases/"+tc.name, func(t *testing.T) {
			stream, err := cases.ImportCases(as(t, tc.subject))
			if err == nil {
				_, err = stream.CloseAndRecv()
			}
			if got := status.Code(err); got != tc.want {
				t.Fatalf("code %v (%v), want %v", got, err, tc.want)
			}
			if tc.want == codes.OK {
				if p := <-cs.seen; p.Subject != tc.subject {
					t.Errorf("handler saw %+v", p)
				}
			}
		})
	}

	t.Run("skipped health check needs no subject", func(t *testing.T) {
		if _, err := healthpb.NewHealthClient(conn).Check(as(t, ""), &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("removed member is refused within 5s", func(t *testing.T) {
		exec(t, pool, `DELETE FROM memberships WHERE subject = 'cw'`)
		waitFor(t, 5*time.Second, "PermissionDenied", func() bool {
			_, err := cases.GetCase(as(t, "cw"), &casebridgev1.GetCaseRequest{})
			if err == nil {
				<-cs.seen
			}
			return status.Code(err) == codes.PermissionDenied
		})
	})
}

// A method without an entry in methods.csv is refused, even for a caller
// whose roles would allow its permission.
func TestInterceptorFailsClosedOnUnknownMethod(t *testing.T) {
	pool := testdb.New(t)
	addOrgs(t, pool, "shelter-a")
	addMember(t, pool, "shelter-a", "sup", "supervisor")
	fsys := fstest.MapFS{}
	for _, name := range []string{ModelFile, PolicyFile} {
		b, err := fs.ReadFile(policies.Files(), name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	fsys[MethodsFile] = &fstest.MapFile{Data: []byte(casebridgev1.CaseService_GetCase_FullMethodName + ", case, read\n")}
	engine, err := NewEngine(fsys, EngineOptions{PollInterval: -1, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	conn, cs := serve(t, engine, NewMembers(pool, MembersOptions{Logger: quietLog}))
	cases := casebridgev1.NewCaseServiceClient(conn)

	if _, err := cases.GetCase(as(t, "sup"), &casebridgev1.GetCaseRequest{}); err != nil {
		t.Fatalf("GetCase: %v", err)
	}
	<-cs.seen
	_, err = cases.ListCases(as(t, "sup"), &casebridgev1.ListCasesRequest{})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("ListCases (not in the table): %v, want PermissionDenied", err)
	}
}

func TestInterceptorHidesDatabaseErrors(t *testing.T) {
	pool := testdb.New(t)
	m := NewMembers(pool, MembersOptions{Logger: quietLog})
	pool.Close()
	conn, _ := serve(t, defaultEngine(t), m)
	_, err := casebridgev1.NewCaseServiceClient(conn).GetCase(as(t, "cw"), &casebridgev1.GetCaseRequest{})
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("%v, want Unavailable", err)
	}
	if msg := status.Convert(err).Message(); msg != "cannot resolve the caller's roles right now" {
		t.Errorf("message leaks details: %q", msg)
	}
}

func TestStatusError(t *testing.T) {
	if status.Code(StatusError(ErrNotFound)) != codes.NotFound {
		t.Error("ErrNotFound")
	}
	if status.Code(StatusError(ErrPermissionDenied)) != codes.PermissionDenied {
		t.Error("ErrPermissionDenied")
	}
	if StatusError(nil) != nil {
		t.Error("nil")
	}
}
