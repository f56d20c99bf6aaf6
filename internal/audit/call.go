package audit

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// call is what the audit trail knows about the current call. The
// interceptor creates it; handlers add to it through Read, InTx, SetOrg and
// SetCase (possibly from several goroutines of a streaming handler).
type call struct {
	method    string
	subject   string
	requestID string

	mu        sync.Mutex
	org       string
	caseID    string // named by the handler
	reqCase   string // found in the request message
	principal *authz.Principal
	details   []string // name=value pairs added by Detail
	durable   int      // events made durable by Read
	txIDs     []string // events written by InTx; durable only if their transaction committed
}

type callKey struct{}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// StartCall returns a context for an audited unit of work outside the
// interceptors (a background job, a test): events recorded with it carry
// method, the caller from authn.CallerFrom and the id from requestid.From.
// The interceptors call it for every audited RPC.
func StartCall(ctx context.Context, method string) context.Context {
	c := &call{method: method, requestID: requestid.From(ctx)}
	if caller, ok := authn.CallerFrom(ctx); ok {
		c.subject = caller.Subject
	}
	return context.WithValue(ctx, callKey{}, c)
}

// SetOrg names the organisation the caller acts for in this call, so that
// a failure event (NotFound, PermissionDenied, ...) carries it and the
// caller's roles there. Read and InTx set it too. It does nothing outside
// an audited call.
func SetOrg(ctx context.Context, org string) {
	if c := callFrom(ctx); c != nil {
		c.mu.Lock()
		c.org = org
		c.capturePrincipal(ctx)
		c.mu.Unlock()
	}
}

// SetCase names the case this call concerns when the request does not (for
// example a call on a claim or a proceeding), so that a failure event
// carries it. Read and InTx set it too. It does nothing outside an audited
// call or for an id that is not a UUID.
func SetCase(ctx context.Context, caseID string) {
	id := canonicalUUID(caseID)
	if c := callFrom(ctx); c != nil && id != "" {
		c.mu.Lock()
		c.caseID = id
		c.capturePrincipal(ctx)
		c.mu.Unlock()
	}
}

// Concerns names the case a call is about ("" when not yet known), and the
// organisation the caller acts for once it is known, so that the
// interceptor's event of a failed call carries them even when the request
// named neither (a referral, proceeding or claim id). It does nothing
// outside an audited call.
func Concerns(ctx context.Context, org, caseID string) {
	if caseID != "" {
		SetCase(ctx, caseID)
	}
	if org != "" {
		SetOrg(ctx, org)
	}
}

// capturePrincipal keeps the roles resolved by the authorization
// interceptor (which runs after ours, so only a handler's context has
// them). c.mu is held.
func (c *call) capturePrincipal(ctx context.Context) {
	if c.principal != nil {
		return
	}
	if p, ok := authz.PrincipalFrom(ctx); ok {
		c.principal = &p
	}
}

func (c *call) noteRequest(method string, m any) {
	id := requestCaseID(method, m)
	if id == "" {
		return
	}
	c.mu.Lock()
	if c.reqCase == "" {
		c.reqCase = id
	}
	c.mu.Unlock()
}

// event builds the call's event. c.mu is held.
func (c *call) event(r *Recorder, org, caseID string, classes []string, code string) Event {
	if org == "" {
		org = c.org
	}
	if caseID == "" {
		caseID = c.caseID
	}
	if caseID == "" {
		caseID = c.reqCase
	}
	subject := c.subject
	var roles []string
	if p := c.principal; p != nil {
		if subject == "" {
			subject = p.Subject
		}
		if org == "" && len(p.Memberships) == 1 {
			// A member of one organisation can only have acted for it.
			for o := range p.Memberships {
				org = o
			}
		}
		if org != "" {
			roles = append(roles, p.Memberships[org]...)
		}
	}
	return Event{
		ID:        newID(),
		Time:      r.now().UTC().Truncate(time.Microsecond),
		Subject:   subject,
		OrgID:     org,
		Roles:     roles,
		Method:    c.method,
		CaseID:    caseID,
		Classes:   classes,
		Code:      code,
		RequestID: c.requestID,
		Details:   slices.Clone(c.details),
	}
}

func newID() string {
	if u, err := uuid.NewV7(); err == nil {
		return u.String()
	}
	return uuid.NewString()
}

// DefaultServices are the services whose calls read or change victim data,
// the services that hold power over them (organisations, members, roles and
// keys; figures across organisations) and the audit service itself (reading
// the trail is audited too).
var DefaultServices = []string{
	casebridgev1.CaseService_ServiceDesc.ServiceName,
	casebridgev1.OrganizationService_ServiceDesc.ServiceName,
	casebridgev1.StatsService_ServiceDesc.ServiceName,
	casebridgev1.ReferralService_ServiceDesc.ServiceName,
	casebridgev1.ProceedingService_ServiceDesc.ServiceName,
	casebridgev1.CompensationService_ServiceDesc.ServiceName,
	casebridgev1.CaseworkService_ServiceDesc.ServiceName,
	casebridgev1.DocumentService_ServiceDesc.ServiceName,
	casebridgev1.AuditService_ServiceDesc.ServiceName,
	casebridgev1.TaskService_ServiceDesc.ServiceName,
	casebridgev1.TransferService_ServiceDesc.ServiceName,
}

// Services returns a predicate for [Recorder.Interceptors] that selects
// every method of the named services ("casebridge.v1.CaseService").
func Services(names ...string) func(fullMethod string) bool {
	prefixes := make([]string, len(names))
	for i, n := range names {
		prefixes[i] = "/" + n + "/"
	}
	return func(fullMethod string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(fullMethod, p) {
				return true
			}
		}
		return false
	}
}

// Interceptors returns the unary and stream interceptors that audit every
// method for which audited returns true (nil: every method). Install them
// after authentication and before authorization, so that calls the
// authorization interceptor refuses are audited too.
//
// For each audited call they put the call's audit context in ctx (method,
// caller, request id, the case id found in the request), run the handler,
// and then:
//   - if the call failed (any code but OK, as rpcerr.ToStatus computes it),
//     record an event with that code, durably, before the error is
//     returned — whatever happened to the handler's transaction. A failure
//     to record it is logged; the call's own error is returned unchanged.
//   - if it succeeded but the handler left no durable event (no Read, and
//     no InTx whose transaction committed), record a generic event (code
//     OK) before the response is returned; if even that fails, the call
//     fails with Unavailable.
func (r *Recorder) Interceptors(audited func(fullMethod string) bool) (grpc.UnaryServerInterceptor, grpc.StreamServerInterceptor) {
	if audited == nil {
		audited = func(string) bool { return true }
	}
	unary := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if !audited(info.FullMethod) {
			return handler(ctx, req)
		}
		r.inflight.Add(1)
		defer r.inflight.Add(-1)
		ctx = StartCall(ctx, info.FullMethod)
		c := callFrom(ctx)
		c.noteRequest(info.FullMethod, req)
		resp, err := handler(ctx, req)
		if ferr := r.finish(ctx, c, err); ferr != nil {
			return nil, ferr
		}
		return resp, err
	}
	stream := func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if !audited(info.FullMethod) {
			return handler(srv, ss)
		}
		// Not counted in inflight: a long-lived stream is not about to
		// write an event, and the group commit should not wait for it.
		ctx := StartCall(ss.Context(), info.FullMethod)
		c := callFrom(ctx)
		err := handler(srv, &auditStream{ServerStream: ss, ctx: ctx, c: c, method: info.FullMethod})
		if ferr := r.finish(ctx, c, err); ferr != nil {
			return ferr
		}
		return err
	}
	return unary, stream
}

// finish records what the call's outcome requires (see Interceptors). It
// returns a non-nil error only when a successful call could not be audited.
func (r *Recorder) finish(ctx context.Context, c *call, err error) error {
	st, _ := rpcerr.ToStatus(err)
	c.mu.Lock()
	if st.Code() == codes.OK && c.durable > 0 {
		c.mu.Unlock()
		return nil // the common case: the handler's read is on record
	}
	// Writes outlive a cancelled call: its failure is audited too.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.WriteTimeout)
	defer cancel()
	if st.Code() != codes.OK {
		ev := c.event(r, "", "", nil, CodeName(st.Code()))
		c.mu.Unlock()
		if werr := r.write(wctx, ev); werr != nil {
			r.log.ErrorContext(ctx, "audit: cannot record a failed call",
				"method", ev.Method, "code", ev.Code, "request_id", ev.RequestID, "error", werr.Error())
		}
		return nil
	}
	txIDs := append([]string(nil), c.txIDs...)
	c.mu.Unlock()
	if len(txIDs) > 0 {
		var committed bool
		qerr := r.pool.QueryRow(wctx, `SELECT EXISTS (SELECT 1 FROM audit_events WHERE id = ANY($1::uuid[]))`, txIDs).Scan(&committed)
		if qerr == nil && committed {
			return nil
		}
		if qerr != nil {
			r.log.ErrorContext(ctx, "audit: cannot check a call's events", "method", c.method, "request_id", c.requestID, "error", qerr.Error())
		}
	}
	c.mu.Lock()
	ev := c.event(r, "", "", nil, CodeName(codes.OK))
	c.mu.Unlock()
	if werr := r.write(wctx, ev); werr != nil {
		r.log.ErrorContext(ctx, "audit: cannot record a call; failing it",
			"method", ev.Method, "request_id", ev.RequestID, "error", werr.Error())
		return &rpcerr.Error{Code: codes.Unavailable, Msg: "the audit log is unavailable, try again"}
	}
	return nil
}

// auditStream gives a streaming handler the audit context and notes the
// case named by the first request message that names one.
type auditStream struct {
	grpc.ServerStream
	ctx    context.Context
	c      *call
	method string
}

func (s *auditStream) Context() context.Context { return s.ctx }

func (s *auditStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil {
		s.c.noteRequest(s.method, m)
	}
	return err
}

var caseServicePrefix = "/" + casebridgev1.CaseService_ServiceDesc.ServiceName + "/"

// requestCaseID finds the case a request names: a top-level case_id field,
// the id of a top-level case message (UpdateCase), or — in CaseService
// only, where it means the case — a top-level id field. Elsewhere an id is
// a referral's, a claim's or a proceeding's, and not recorded as a case.
func requestCaseID(method string, m any) string {
	pm, ok := m.(proto.Message)
	if !ok || pm == nil {
		return ""
	}
	msg := pm.ProtoReflect()
	if !msg.IsValid() {
		return ""
	}
	fields := msg.Descriptor().Fields()
	if id := stringField(msg, fields.ByName("case_id")); id != "" {
		return id
	}
	if f := fields.ByName("case"); f != nil && f.Kind() == protoreflect.MessageKind && !f.IsList() && !f.IsMap() && msg.Has(f) {
		sub := msg.Get(f).Message()
		if id := stringField(sub, sub.Descriptor().Fields().ByName("id")); id != "" {
			return id
		}
	}
	if strings.HasPrefix(method, caseServicePrefix) {
		return stringField(msg, fields.ByName("id"))
	}
	return ""
}

func stringField(msg protoreflect.Message, f protoreflect.FieldDescriptor) string {
	if f == nil || f.Kind() != protoreflect.StringKind || f.IsList() || f.IsMap() {
		return ""
	}
	return canonicalUUID(msg.Get(f).String())
}

// canonicalUUID returns s as a lower-case hyphenated UUID, or "".
func canonicalUUID(s string) string {
	if len(s) != 36 {
		return ""
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return ""
	}
	return u.String()
}
