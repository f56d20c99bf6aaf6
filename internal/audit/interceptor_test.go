package audit

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/testdb"
	"github.com/casebridge/casebridge/policies"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// incoming is the context the interceptor receives: authenticated, with a
// request id, but no principal yet (authorization runs after it).
func incoming(subject string) (context.Context, string) {
	rid := "rid-" + uuid.NewString()[:8]
	ctx := authn.WithCaller(context.Background(), authn.Caller{Subject: subject})
	return requestid.With(ctx, rid), rid
}

// withPrincipal is what the authorization interceptor does before the handler.
func withPrincipal(ctx context.Context, subject string, m map[string][]string) context.Context {
	return authz.WithPrincipal(ctx, authz.Principal{Subject: subject, Memberships: m})
}

func info(method string) *grpc.UnaryServerInfo { return &grpc.UnaryServerInfo{FullMethod: method} }

func TestFailedCallIsAuditedWithTheRequestsCase(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	rec := startRecorder(t, pool, Options{ChainInterval: -1})
	unary, _ := rec.Interceptors(Services(DefaultServices...))
	ctx, rid := incoming("caseworker@cso-c")
	caseID := uuid.NewString()
	_, err := unary(ctx, &casebridgev1.GetCaseRequest{Id: caseID}, info(getCase), func(ctx context.Context, req any) (any, error) {
		SetOrg(withPrincipal(ctx, "caseworker@cso-c", map[string][]string{"cso-c": {"caseworker"}}), "cso-c")
		return nil, rpcerr.NotFound("case %s not found", caseID)
	})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("error = %v, want the handler's NotFound unchanged", err)
	}
	evs := eventsOfRequest(t, pool, rid)
	if len(evs) != 1 {
		t.Fatalf("events = %d, want 1", len(evs))
	}
	e := evs[0]
	if e.Code != "NOT_FOUND" || e.CaseID != caseID || e.Subject != "caseworker@cso-c" || e.Method != getCase ||
		e.OrgID != "cso-c" || !slices.Equal(e.Roles, []string{"caseworker"}) || len(e.Classes) != 0 {
		t.Errorf("event = %+v", e)
	}
}

func TestRolledBackChangeLeavesTheFailureEvent(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	rec := startRecorder(t, pool, Options{ChainInterval: -1})
	unary, _ := rec.Interceptors(nil)
	ctx, rid := incoming("caseworker@shelter-a")
	caseID := uuid.NewString()
	const addNote = "/casebridge.v1.CaseService/AddNote"
	_, err := unary(ctx, &casebridgev1.AddNoteRequest{CaseId: caseID}, info(addNote), func(ctx context.Context, req any) (any, error) {
		ctx = withPrincipal(ctx, "caseworker@shelter-a", map[string][]string{"shelter-a": {"caseworker"}, "cso-c": {"caseworker"}})
		tx, err := pool.Begin(ctx)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback(context.Background()) //nolint:errcheck
		if err := rec.InTx(ctx, tx, "shelter-a", caseID, []dataclass.Class{"care"}); err != nil {
			return nil, err
		}
		return nil, rpcerr.FailedPrecondition("the case is closed") // the transaction rolls back
	})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("error = %v", err)
	}
	evs := eventsOfRequest(t, pool, rid)
	if len(evs) != 1 {
		t.Fatalf("events = %+v, want only the failure", evs)
	}
	e := evs[0]
	if e.Code != "FAILED_PRECONDITION" || e.CaseID != caseID || e.OrgID != "shelter-a" || !slices.Equal(e.Roles, []string{"caseworker"}) {
		t.Errorf("failure event = %+v", e)
	}
}

func TestDeniedByAuthorizationIsAudited(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	mustExec(t, pool, `INSERT INTO organizations (id, display_name, kind) VALUES ('network', 'Network', 6), ('shelter-a', 'Shelter A', 1)`)
	mustExec(t, pool, `INSERT INTO memberships (organization_id, subject, roles) VALUES ('network', 'coordinator@network', '{coordinator}'), ('shelter-a', 'caseworker@shelter-a', '{caseworker}')`)
	engine, err := authz.NewEngine(policies.Files(), authz.EngineOptions{PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	members := authz.NewMembers(pool, authz.MembersOptions{})
	subject := func(ctx context.Context) (string, bool) {
		c, ok := authn.CallerFrom(ctx)
		return c.Subject, ok
	}
	authzUnary, _ := authz.Interceptors(engine, members, subject, nil)
	rec := startRecorder(t, pool, Options{ChainInterval: -1})
	auditUnary, _ := rec.Interceptors(Services(DefaultServices...))
	// The server's order: authentication, audit, authorization, handler.
	chain := func(ctx context.Context, req any, handler grpc.UnaryHandler) (any, error) {
		return auditUnary(ctx, req, info(getCase), func(ctx context.Context, req any) (any, error) {
			return authzUnary(ctx, req, info(getCase), handler)
		})
	}
	caseID := uuid.NewString()
	handled := false
	handler := func(ctx context.Context, req any) (any, error) {
		handled = true
		if err := rec.Read(ctx, "shelter-a", caseID, []dataclass.Class{"identity"}); err != nil {
			return nil, err
		}
		return &casebridgev1.GetCaseResponse{}, nil
	}

	ctx, rid := incoming("coordinator@network")
	if _, err := chain(ctx, &casebridgev1.GetCaseRequest{Id: caseID}, handler); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("coordinator's GetCase = %v, want PermissionDenied", err)
	}
	if handled {
		t.Fatal("the handler ran for a denied call")
	}
	evs := eventsOfRequest(t, pool, rid)
	if len(evs) != 1 || evs[0].Code != "PERMISSION_DENIED" || evs[0].CaseID != caseID || evs[0].Subject != "coordinator@network" {
		t.Fatalf("denied call's events = %+v", evs)
	}

	// The same read by a caseworker is allowed and leaves exactly the read event.
	ctx, rid = incoming("caseworker@shelter-a")
	if _, err := chain(ctx, &casebridgev1.GetCaseRequest{Id: caseID}, handler); err != nil {
		t.Fatalf("caseworker's GetCase: %v", err)
	}
	evs = eventsOfRequest(t, pool, rid)
	if len(evs) != 1 || evs[0].Code != "OK" || !slices.Equal(evs[0].Classes, []string{"identity"}) ||
		evs[0].OrgID != "shelter-a" || !slices.Equal(evs[0].Roles, []string{"caseworker"}) {
		t.Fatalf("allowed read's events = %+v", evs)
	}
}

func TestEverySuccessfulCallLeavesAnEvent(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	rec := startRecorder(t, pool, Options{ChainInterval: -1})
	unary, _ := rec.Interceptors(Services(DefaultServices...))
	caseID := uuid.NewString()
	principal := map[string][]string{"shelter-a": {"supervisor"}}

	t.Run("handler recorded nothing", func(t *testing.T) {
		ctx, rid := incoming("sup")
		_, err := unary(ctx, &casebridgev1.GetCaseRequest{Id: caseID}, info(getCase), func(ctx context.Context, req any) (any, error) {
			return &casebridgev1.GetCaseResponse{}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		evs := eventsOfRequest(t, pool, rid)
		if len(evs) != 1 || evs[0].Code != "OK" || evs[0].CaseID != caseID || len(evs[0].Classes) != 0 {
			t.Fatalf("events = %+v, want one generic event", evs)
		}
	})
	t.Run("committed change", func(t *testing.T) {
		ctx, rid := incoming("sup")
		_, err := unary(ctx, &casebridgev1.CloseCaseRequest{Id: caseID}, info("/casebridge.v1.CaseService/CloseCase"), func(ctx context.Context, req any) (any, error) {
			ctx = withPrincipal(ctx, "sup", principal)
			tx, err := pool.Begin(ctx)
			if err != nil {
				return nil, err
			}
			defer tx.Rollback(context.Background()) //nolint:errcheck
			if err := rec.InTx(ctx, tx, "shelter-a", caseID, nil); err != nil {
				return nil, err
			}
			return &casebridgev1.CloseCaseResponse{}, tx.Commit(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		if evs := eventsOfRequest(t, pool, rid); len(evs) != 1 || evs[0].Code != "OK" {
			t.Fatalf("events = %+v, want only the change's event", evs)
		}
	})
	t.Run("change rolled back but handler said OK", func(t *testing.T) {
		ctx, rid := incoming("sup")
		_, err := unary(ctx, &casebridgev1.CloseCaseRequest{Id: caseID}, info("/casebridge.v1.CaseService/CloseCase"), func(ctx context.Context, req any) (any, error) {
			ctx = withPrincipal(ctx, "sup", principal)
			tx, err := pool.Begin(ctx)
			if err != nil {
				return nil, err
			}
			if err := rec.InTx(ctx, tx, "shelter-a", caseID, nil); err != nil {
				return nil, err
			}
			return &casebridgev1.CloseCaseResponse{}, tx.Rollback(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		evs := eventsOfRequest(t, pool, rid)
		if len(evs) != 1 || evs[0].Code != "OK" || evs[0].OrgID != "shelter-a" {
			t.Fatalf("events = %+v, want a generic event", evs)
		}
	})
	t.Run("unaudited method", func(t *testing.T) {
		ctx, rid := incoming("sup")
		_, err := unary(ctx, &casebridgev1.GetCallerIdentityRequest{}, info("/grpc.health.v1.Health/Check"), func(ctx context.Context, req any) (any, error) {
			if err := rec.Read(ctx, "", "", nil); !errors.Is(err, ErrNoCall) {
				t.Errorf("Read in an unaudited call = %v, want ErrNoCall", err)
			}
			return &casebridgev1.GetCallerIdentityResponse{}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if evs := eventsOfRequest(t, pool, rid); len(evs) != 0 {
			t.Fatalf("events = %+v, want none", evs)
		}
	})
}

func TestCancelledCallIsStillAudited(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	rec := startRecorder(t, pool, Options{ChainInterval: -1})
	unary, _ := rec.Interceptors(nil)
	ctx, rid := incoming("u")
	ctx, cancel := context.WithCancel(ctx)
	_, err := unary(ctx, &casebridgev1.GetCaseRequest{Id: uuid.NewString()}, info(getCase), func(ctx context.Context, req any) (any, error) {
		cancel()
		return nil, ctx.Err()
	})
	if status.Code(err) != codes.Canceled && !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v", err)
	}
	if evs := eventsOfRequest(t, pool, rid); len(evs) != 1 || evs[0].Code != "CANCELLED" {
		t.Fatalf("events = %+v, want one CANCELLED event", evs)
	}
}

func TestFailureWhenTheAuditLogIsDownFailsTheCall(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	rec := startRecorder(t, pool, Options{ChainInterval: -1, WriteTimeout: 2e9})
	unary, _ := rec.Interceptors(nil)
	// The audit table refuses inserts (as if the database had failed).
	mustExec(t, pool, `ALTER TABLE audit_events ADD CONSTRAINT refuse CHECK (false) NOT VALID`)
	ctx, _ := incoming("u")
	_, err := unary(ctx, &casebridgev1.GetCaseRequest{Id: uuid.NewString()}, info(getCase), func(ctx context.Context, req any) (any, error) {
		return &casebridgev1.GetCaseResponse{}, nil
	})
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("unaudited success = %v, want Unavailable", err)
	}
	_, err = unary(ctx, &casebridgev1.GetCaseRequest{Id: uuid.NewString()}, info(getCase), func(ctx context.Context, req any) (any, error) {
		if err := rec.Read(ctx, "", uuid.NewString(), nil); err != nil {
			return nil, err // the handler must not answer
		}
		return &casebridgev1.GetCaseResponse{}, nil
	})
	if err == nil {
		t.Fatal("a read was answered although its event could not be written")
	}
}

// fakeStream is a server stream that delivers msgs to RecvMsg.
type fakeStream struct {
	grpc.ServerStream
	ctx  context.Context
	msgs []proto.Message
}

func (s *fakeStream) Context() context.Context { return s.ctx }
func (s *fakeStream) RecvMsg(m any) error {
	if len(s.msgs) == 0 {
		return io.EOF
	}
	proto.Merge(m.(proto.Message), s.msgs[0])
	s.msgs = s.msgs[1:]
	return nil
}
func (s *fakeStream) SetHeader(metadata.MD) error { return nil }

func TestStreamFailureTakesTheCaseFromTheFirstMessage(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	rec := startRecorder(t, pool, Options{ChainInterval: -1})
	_, stream := rec.Interceptors(nil)
	ctx, rid := incoming("lawyer@legal-b")
	caseID := uuid.NewString()
	const method = "/casebridge.v1.ReferralService/WatchReferrals"
	ss := &fakeStream{ctx: ctx, msgs: []proto.Message{&casebridgev1.ListNotesRequest{CaseId: caseID}}}
	err := stream(nil, ss, &grpc.StreamServerInfo{FullMethod: method}, func(srv any, ss grpc.ServerStream) error {
		var req casebridgev1.ListNotesRequest
		if err := ss.RecvMsg(&req); err != nil {
			return err
		}
		return rpcerr.NotFound("no")
	})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("error = %v", err)
	}
	if evs := eventsOfRequest(t, pool, rid); len(evs) != 1 || evs[0].CaseID != caseID || evs[0].Method != method || evs[0].Code != "NOT_FOUND" {
		t.Fatalf("events = %+v", evs)
	}
}

func TestRequestCaseID(t *testing.T) {
	t.Parallel()
	id := uuid.NewString()
	upper := "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"
	for _, tc := range []struct {
		name   string
		method string
		req    any
		want   string
	}{
		{"case service id", getCase, &casebridgev1.GetCaseRequest{Id: id}, id},
		{"upper case id is canonicalised", getCase, &casebridgev1.GetCaseRequest{Id: upper}, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"case_id", "/casebridge.v1.CaseService/AddNote", &casebridgev1.AddNoteRequest{CaseId: id}, id},
		{"case message id", "/casebridge.v1.CaseService/UpdateCase", &casebridgev1.UpdateCaseRequest{Case: &casebridgev1.Case{Id: id}}, id},
		{"claim id is not a case id", "/casebridge.v1.CompensationService/GetClaim", &casebridgev1.GetClaimRequest{Id: id}, ""},
		{"case_id of a claim request", "/casebridge.v1.CompensationService/CreateClaim", &casebridgev1.CreateClaimRequest{CaseId: id}, id},
		{"not a uuid", getCase, &casebridgev1.GetCaseRequest{Id: "SHA-2026-0042"}, ""},
		{"no id", "/casebridge.v1.CaseService/ListCases", &casebridgev1.ListCasesRequest{}, ""},
		{"not a message", getCase, "x", ""},
		{"nil message", getCase, (*casebridgev1.GetCaseRequest)(nil), ""},
	} {
		if got := requestCaseID(tc.method, tc.req); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
