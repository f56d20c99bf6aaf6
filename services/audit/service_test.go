package audit_test

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/testdb"
	"github.com/casebridge/casebridge/internal/validation"
	"github.com/casebridge/casebridge/policies"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	auditsvc "github.com/casebridge/casebridge/services/audit"
)

// env is the real AuditService on a real gRPC server on a loopback TCP
// port, behind the server's interceptor order: request id and status
// mapping, authentication (dev tokens), audit, authorization, validation.
type env struct {
	pool   *pgxpool.Pool
	rec    *audit.Recorder
	client casebridgev1.AuditServiceClient
	issuer *authn.DevIssuer
}

func start(t *testing.T) *env {
	t.Helper()
	pool := testdb.New(t)
	ctx := context.Background()
	for _, sql := range []string{
		`INSERT INTO organizations (id, display_name, kind) VALUES
		   ('network', 'Network', 6), ('shelter-a', 'Shelter A', 1), ('legal-b', 'Legal B', 2)`,
		`INSERT INTO memberships (organization_id, subject, roles) VALUES
		   ('network', 'auditor@network', '{auditor}'),
		   ('shelter-a', 'caseworker@shelter-a', '{caseworker}'),
		   ('legal-b', 'lawyer@legal-b', '{lawyer}')`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	issuer, err := authn.LoadOrCreateDevIssuer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := authn.NewDevVerifier(issuer)
	if err != nil {
		t.Fatal(err)
	}
	engine, err := authz.NewEngine(policies.Files(), authz.EngineOptions{PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	validator, err := validation.New()
	if err != nil {
		t.Fatal(err)
	}
	rec := audit.NewRecorder(pool, nil, audit.Options{ChainInterval: -1})
	rctx, cancel := context.WithCancel(ctx)
	rec.Start(rctx)

	observe := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(requestid.With(ctx, requestid.FromIncoming(ctx)), req)
		if err != nil {
			st, _ := rpcerr.ToStatus(err)
			return nil, st.Err()
		}
		return resp, nil
	}
	authenticate := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		raw, err := authn.TokenFromMetadata(ctx)
		if err != nil {
			return nil, rpcerr.Unauthenticated("no token")
		}
		caller, err := verifier.Verify(ctx, raw)
		if err != nil {
			return nil, rpcerr.Unauthenticated("bad token")
		}
		return h(authn.WithCaller(ctx, caller), req)
	}
	subject := func(ctx context.Context) (string, bool) {
		c, ok := authn.CallerFrom(ctx)
		return c.Subject, ok
	}
	authzUnary, _ := authz.Interceptors(engine, authz.NewMembers(pool, authz.MembersOptions{}), subject, nil)
	auditUnary, _ := rec.Interceptors(audit.Services(audit.DefaultServices...))
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(observe, authenticate, auditUnary, authzUnary, validator.UnaryInterceptor()))
	casebridgev1.RegisterAuditServiceServer(srv, auditsvc.New(pool, rec))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
		rec.Close()
		cancel()
	})
	return &env{pool: pool, rec: rec, client: casebridgev1.NewAuditServiceClient(conn), issuer: issuer}
}

func (e *env) as(t *testing.T, subject string) context.Context {
	t.Helper()
	tok, err := e.issuer.Mint(subject, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok, requestid.MetadataKey, "t-"+uuid.NewString()[:8])
}

type seeded struct {
	subject, org, caseID string
	classes              []dataclass.Class
	at                   time.Time
}

// seed records reads as handlers would, at the given times, and returns them.
func (e *env) seed(t *testing.T, evs []seeded) {
	t.Helper()
	for _, s := range evs {
		at := s.at
		rec := audit.NewRecorder(e.pool, nil, audit.Options{ChainInterval: -1, Now: func() time.Time { return at }})
		ctx := authn.WithCaller(context.Background(), authn.Caller{Subject: s.subject})
		ctx = audit.StartCall(requestid.With(ctx, "seed"), "/casebridge.v1.CaseService/GetCase")
		ctx = authz.WithPrincipal(ctx, authz.Principal{Subject: s.subject, Memberships: map[string][]string{s.org: {"caseworker", "supervisor"}}})
		if err := rec.Read(ctx, s.org, s.caseID, s.classes); err != nil {
			t.Fatal(err)
		}
		rec.Close()
	}
}

var base = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func seedWorld(t *testing.T, e *env) (caseA, caseB string) {
	caseA, caseB = uuid.NewString(), uuid.NewString()
	e.seed(t, []seeded{
		{"caseworker@shelter-a", "shelter-a", caseA, []dataclass.Class{"identity", "contact"}, base},
		{"caseworker@shelter-a", "shelter-a", caseB, nil, base.Add(1 * time.Hour)},
		{"lawyer@legal-b", "legal-b", caseA, []dataclass.Class{"legal"}, base.Add(2 * time.Hour)},
		{"caseworker@shelter-a", "shelter-a", caseA, []dataclass.Class{"care"}, base.Add(3 * time.Hour)},
		{"lawyer@legal-b", "legal-b", caseB, nil, base.Add(4 * time.Hour)},
		{"caseworker@shelter-a", "shelter-a", caseA, nil, base.Add(5 * time.Hour)},
	})
	return caseA, caseB
}

// listAll pages through ListEvents with page size n.
func listAll(t *testing.T, ctx context.Context, c casebridgev1.AuditServiceClient, req *casebridgev1.ListEventsRequest, n int32) []*casebridgev1.AuditEvent {
	t.Helper()
	var out []*casebridgev1.AuditEvent
	req.PageSize = n
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("pagination does not end")
		}
		resp, err := c.ListEvents(ctx, req)
		if err != nil {
			t.Fatalf("ListEvents: %v", err)
		}
		if len(resp.GetEvents()) > int(n) {
			t.Fatalf("page of %d events, asked for %d", len(resp.GetEvents()), n)
		}
		out = append(out, resp.GetEvents()...)
		if resp.GetNextPageToken() == "" {
			return out
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

// seededOnly drops the events of the auditor's own calls (method AuditService).
func seededOnly(evs []*casebridgev1.AuditEvent) []*casebridgev1.AuditEvent {
	return slices.DeleteFunc(slices.Clone(evs), func(e *casebridgev1.AuditEvent) bool {
		return e.GetMethod() != "/casebridge.v1.CaseService/GetCase"
	})
}

func TestListEventsFiltersAndPages(t *testing.T) {
	t.Parallel()
	e := start(t)
	caseA, caseB := seedWorld(t, e)
	ctx := e.as(t, "auditor@network")

	// Each page is itself an audited call, linked before the next page.
	listed := listAll(t, ctx, e.client, &casebridgev1.ListEventsRequest{}, 2)
	for i, ev := range listed {
		if i > 0 && ev.GetSequence() != listed[i-1].GetSequence()+1 {
			t.Fatalf("events not in sequence order: %d after %d", ev.GetSequence(), listed[i-1].GetSequence())
		}
	}
	all := seededOnly(listed)
	if len(all) != 6 || len(listed) < 8 {
		t.Fatalf("events = %d (%d seeded), want the 6 seeded and the auditor's own calls", len(listed), len(all))
	}
	for i, ev := range all {
		if !ev.GetEventTime().AsTime().Equal(base.Add(time.Duration(i) * time.Hour)) {
			t.Errorf("event %d at %v: not oldest first", i, ev.GetEventTime().AsTime())
		}
		if len(ev.GetHash()) != 32 || (i > 0 && string(ev.GetPrevHash()) != string(all[i-1].GetHash())) {
			t.Errorf("event %d does not link to the one before", i)
		}
	}
	first := all[0]
	if first.GetSubject() != "caseworker@shelter-a" || first.GetOrganizationId() != "shelter-a" || first.GetCaseId() != caseA ||
		first.GetResultCode() != "OK" || first.GetRequestId() != "seed" || first.GetId() == "" ||
		!slices.Equal(first.GetRoles(), []casebridgev1.Role{casebridgev1.Role_ROLE_CASEWORKER, casebridgev1.Role_ROLE_SUPERVISOR}) ||
		!slices.Equal(first.GetClasses(), []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_IDENTITY, casebridgev1.DataClass_DATA_CLASS_CONTACT}) {
		t.Errorf("first event = %v", first)
	}

	count := func(req *casebridgev1.ListEventsRequest) int {
		return len(seededOnly(listAll(t, ctx, e.client, req, 4)))
	}
	for _, tc := range []struct {
		name string
		req  *casebridgev1.ListEventsRequest
		want int
	}{
		{"case A", &casebridgev1.ListEventsRequest{CaseId: caseA}, 4},
		{"case B", &casebridgev1.ListEventsRequest{CaseId: caseB}, 2},
		{"subject", &casebridgev1.ListEventsRequest{Subject: "lawyer@legal-b"}, 2},
		{"organisation", &casebridgev1.ListEventsRequest{OrganizationId: "shelter-a"}, 4},
		{"case and organisation", &casebridgev1.ListEventsRequest{CaseId: caseA, OrganizationId: "legal-b"}, 1},
		{"from 2h", &casebridgev1.ListEventsRequest{StartTime: timestamppb.New(base.Add(2 * time.Hour))}, 4},
		{"before 2h", &casebridgev1.ListEventsRequest{EndTime: timestamppb.New(base.Add(2 * time.Hour))}, 2},
		{"1h to 4h", &casebridgev1.ListEventsRequest{StartTime: timestamppb.New(base.Add(time.Hour)), EndTime: timestamppb.New(base.Add(4 * time.Hour))}, 3},
		{"nobody", &casebridgev1.ListEventsRequest{Subject: "nobody"}, 0},
	} {
		if got := count(tc.req); got != tc.want {
			t.Errorf("%s: %d events, want %d", tc.name, got, tc.want)
		}
	}

	// A token is bound to its filters.
	resp, err := e.client.ListEvents(ctx, &casebridgev1.ListEventsRequest{PageSize: 1, CaseId: caseA})
	if err != nil || resp.GetNextPageToken() == "" {
		t.Fatalf("first page: %v, %v", resp, err)
	}
	_, err = e.client.ListEvents(ctx, &casebridgev1.ListEventsRequest{PageSize: 1, CaseId: caseB, PageToken: resp.GetNextPageToken()})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("token replayed with another filter: %v, want InvalidArgument", err)
	}
	for _, bad := range []*casebridgev1.ListEventsRequest{
		{PageSize: 501},
		{CaseId: "SHA-2026-0042"},
		{StartTime: timestamppb.New(base), EndTime: timestamppb.New(base)},
		{PageToken: "not a token"},
	} {
		if _, err := e.client.ListEvents(ctx, bad); status.Code(err) != codes.InvalidArgument {
			t.Errorf("ListEvents(%v) = %v, want InvalidArgument", bad, err)
		}
	}
}

func TestOnlyAuditorsReadTheLogAndTriesAreAudited(t *testing.T) {
	t.Parallel()
	e := start(t)
	caseA, _ := seedWorld(t, e)
	for _, who := range []string{"caseworker@shelter-a", "lawyer@legal-b"} {
		_, err := e.client.ListEvents(e.as(t, who), &casebridgev1.ListEventsRequest{CaseId: caseA})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("%s ListEvents = %v, want PermissionDenied", who, err)
		}
		_, err = e.client.VerifyChain(e.as(t, who), &casebridgev1.VerifyChainRequest{})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("%s VerifyChain = %v, want PermissionDenied", who, err)
		}
	}
	ctx := e.as(t, "auditor@network")
	evs := listAll(t, ctx, e.client, &casebridgev1.ListEventsRequest{Subject: "caseworker@shelter-a", CaseId: caseA}, 50)
	var denied int
	for _, ev := range evs {
		if ev.GetMethod() == "/casebridge.v1.AuditService/ListEvents" && ev.GetResultCode() == "PERMISSION_DENIED" {
			denied++
		}
	}
	if denied != 1 {
		t.Errorf("the caseworker's denied look into case A's trail: %d events, want 1 (%v)", denied, evs)
	}
	// The auditor's own reading is on the record too, naming the case.
	evs = listAll(t, ctx, e.client, &casebridgev1.ListEventsRequest{Subject: "auditor@network", CaseId: caseA}, 50)
	if len(evs) == 0 || evs[0].GetMethod() != "/casebridge.v1.AuditService/ListEvents" || evs[0].GetResultCode() != "OK" ||
		evs[0].GetOrganizationId() != "network" || !slices.Equal(evs[0].GetRoles(), []casebridgev1.Role{casebridgev1.Role_ROLE_AUDITOR}) {
		t.Errorf("auditor's own listing: %v", evs)
	}
}

func TestVerifyChainReportsTheTamperedEvent(t *testing.T) {
	t.Parallel()
	e := start(t)
	caseA, caseB := seedWorld(t, e)
	ctx := e.as(t, "auditor@network")
	bg := context.Background()
	if err := e.rec.Flush(bg); err != nil {
		t.Fatal(err)
	}
	resp, err := e.client.VerifyChain(ctx, &casebridgev1.VerifyChainRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.GetIntact() || resp.GetEventsChecked() != 6 || resp.GetLastSequence() != 6 || len(resp.GetLastHash()) != 32 ||
		resp.GetFirstBrokenSequence() != 0 || resp.GetReason() != "" || resp.GetNextFromSequence() != 0 {
		t.Fatalf("VerifyChain = %v", resp)
	}
	evs := listAll(t, ctx, e.client, &casebridgev1.ListEventsRequest{CaseId: caseB}, 10)
	target := seededOnly(evs)[1] // the lawyer's read of case B

	conn, err := e.pool.Acquire(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(bg, `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(bg, `UPDATE audit_events SET subject = 'x' WHERE id = $1`, target.GetId()); err != nil {
		t.Fatal(err)
	}
	resp, err = e.client.VerifyChain(ctx, &casebridgev1.VerifyChainRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetIntact() || resp.GetFirstBrokenSequence() != target.GetSequence() || resp.GetReason() == "" ||
		resp.GetEventsChecked() != target.GetSequence()-1 {
		t.Fatalf("VerifyChain after tampering with sequence %d = %v", target.GetSequence(), resp)
	}
	// Ranges that stop before it are intact.
	resp, err = e.client.VerifyChain(ctx, &casebridgev1.VerifyChainRequest{FromSequence: 1, ToSequence: target.GetSequence() - 1})
	if err != nil || !resp.GetIntact() || resp.GetEventsChecked() != target.GetSequence()-1 {
		t.Fatalf("VerifyChain before the tampered event = %v, %v", resp, err)
	}
	if _, err := e.client.VerifyChain(ctx, &casebridgev1.VerifyChainRequest{FromSequence: 5, ToSequence: 2}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("reversed range: %v, want InvalidArgument", err)
	}
	_ = caseA
}
