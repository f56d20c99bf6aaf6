package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/revocation"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestRevokedTokenRefusedOnEveryReplica: a token revoked before its expiry
// is refused Unauthenticated by both servers on one database within about
// a second, although both had just accepted (and cached) it, while another
// token of the same subject keeps working.
func TestRevokedTokenRefusedOnEveryReplica(t *testing.T) {
	a := servertest.Start(t)
	b := servertest.StartOn(t, a.DBURL, a.DataDir)
	replicas := map[string]*servertest.Env{"A": a, "B": b}

	tok := a.Token(t, "admin@shelter-a")
	other := a.Token(t, "admin@shelter-a")
	with := func(tok string) context.Context { return bearer(t, tok) }
	call := func(r *servertest.Env, tok string) error {
		_, err := r.Organizations().GetCallerIdentity(with(tok), &casebridgev1.GetCallerIdentityRequest{})
		return err
	}
	for name, r := range replicas {
		if err := call(r, tok); err != nil {
			t.Fatalf("%s before the revocation: %v", name, err)
		}
	}

	parsed, err := jwt.ParseInsecure([]byte(tok))
	if err != nil {
		t.Fatal(err)
	}
	jti, _ := parsed.JwtID()
	exp, _ := parsed.Expiration()
	pool, err := pgxpool.New(context.Background(), a.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := revocation.New(pool, nil).Revoke(context.Background(), jti, exp, nil); err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()
	for name, r := range replicas {
		for {
			err := call(r, tok)
			if status.Code(err) == codes.Unauthenticated {
				t.Logf("%s refuses the revoked token %v after the revocation", name, time.Since(revoked).Round(time.Millisecond))
				break
			}
			if time.Since(revoked) > 2*time.Second {
				t.Fatalf("%s still accepts the revoked token 2 s after the revocation (last: %v)", name, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := call(r, other); err != nil {
			t.Fatalf("%s refuses another token of the same subject: %v", name, err)
		}
	}
	var rows int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM revoked_tokens WHERE token_id = $1`, jti).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("revoked_tokens rows for the jti: %d, %v", rows, err)
	}
}

// TestSignOutEndsTheTokenOnEveryReplica: RevokeCallerToken on one server
// ends the caller's token on both servers of one database at once (the
// caller's own replica) and within about a second (the other), while a
// second token of the same subject keeps working; a request without a
// reason is InvalidArgument naming the field and revokes nothing.
func TestSignOutEndsTheTokenOnEveryReplica(t *testing.T) {
	a := servertest.Start(t)
	b := servertest.StartOn(t, a.DBURL, a.DataDir)
	tok := a.Token(t, "caseworker@shelter-a")
	other := a.Token(t, "caseworker@shelter-a")
	with := func(tok string) context.Context { return bearer(t, tok) }
	call := func(r *servertest.Env, tok string) error {
		_, err := r.Cases().ListCases(with(tok), &casebridgev1.ListCasesRequest{OrganizationId: "shelter-a", PageSize: 1})
		return err
	}
	for name, r := range map[string]*servertest.Env{"A": a, "B": b} {
		if err := call(r, tok); err != nil {
			t.Fatalf("%s before sign-out: %v", name, err)
		}
	}

	_, err := a.Organizations().RevokeCallerToken(with(tok), &casebridgev1.RevokeCallerTokenRequest{})
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || !slices.Contains(rpcerr.Fields(st), "reason") {
		t.Fatalf("sign-out without a reason: %v, want InvalidArgument naming reason", err)
	}
	if err := call(b, tok); err != nil {
		t.Fatalf("a refused sign-out ended the token: %v", err)
	}

	resp, err := a.Organizations().RevokeCallerToken(with(tok), &casebridgev1.RevokeCallerTokenRequest{Reason: casebridgev1.SignOutReason_SIGN_OUT_REASON_USER})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseInsecure([]byte(tok))
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := parsed.Expiration()
	if !resp.GetExpireTime().AsTime().Equal(exp) {
		t.Errorf("expire_time %v, want the token's expiry %v", resp.GetExpireTime().AsTime(), exp)
	}
	signedOut := time.Now()
	if err := call(a, tok); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("the replica that signed out still accepts the token: %v", err)
	}
	for {
		err := call(b, tok)
		if status.Code(err) == codes.Unauthenticated {
			t.Logf("B refuses the token %v after sign-out on A", time.Since(signedOut).Round(time.Millisecond))
			break
		}
		if time.Since(signedOut) > 2*time.Second {
			t.Fatalf("B still accepts the token 2 s after sign-out on A (last: %v)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for name, r := range map[string]*servertest.Env{"A": a, "B": b} {
		if err := call(r, other); err != nil {
			t.Errorf("%s refuses another token of the same subject: %v", name, err)
		}
	}
	// The row is kept until the token's expiry and the verifiers' leeway past it.
	jti, _ := parsed.JwtID()
	var expire time.Time
	if err := a.Pool.QueryRow(context.Background(), `SELECT expire_time FROM revoked_tokens WHERE token_id = $1`, jti).Scan(&expire); err != nil {
		t.Fatal(err)
	}
	if want := exp.Add(revocation.KeepPastExpiry); !expire.Equal(want) {
		t.Errorf("revocation kept until %v, want the token's expiry and %v: %v", expire, revocation.KeepPastExpiry, want)
	}
	// Signing out again with the ended token is refused like any other call.
	if _, err := b.Organizations().RevokeCallerToken(with(tok), &casebridgev1.RevokeCallerTokenRequest{Reason: casebridgev1.SignOutReason_SIGN_OUT_REASON_USER}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("second sign-out with the ended token: %v, want Unauthenticated", err)
	}
}

// openStream is a server stream received from until it ends.
type openStream struct {
	ended chan struct{}
	err   error
}

func (o *openStream) open() bool {
	select {
	case <-o.ended:
		return false
	default:
		return true
	}
}

// recvStream is the client side of a server stream.
type recvStream interface {
	Header() (metadata.MD, error)
	RecvMsg(any) error
}

// watch receives from a stream opened by open (once it has sent its
// headers) until it ends.
func watch(t *testing.T, what string, open func() (recvStream, error), msg func() any) *openStream {
	t.Helper()
	stream, err := open()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if _, err := stream.Header(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	o := &openStream{ended: make(chan struct{})}
	go func() {
		defer close(o.ended)
		for {
			if err := stream.RecvMsg(msg()); err != nil {
				o.err = err
				return
			}
		}
	}()
	return o
}

// TestSignOutEndsTheTokensOpenStreamsOnEveryReplica: a sign-out on one
// replica ends the open streams of the token on every replica of the
// database at once (within 500 ms) — a WatchReferrals stream on the other
// replica and a WatchTasks stream on its own — Unauthenticated "token has
// been revoked ...",
// while the streams of another token of the same user keep running.
func TestSignOutEndsTheTokensOpenStreamsOnEveryReplica(t *testing.T) {
	a := servertest.Start(t)
	b := servertest.StartOn(t, a.DBURL, a.DataDir)
	tok := a.Token(t, "caseworker@shelter-a")
	other := a.Token(t, "caseworker@shelter-a")
	with := func(tok string) context.Context { return bearer(t, tok) }
	referrals := func(r *servertest.Env, tok string) *openStream {
		return watch(t, "WatchReferrals", func() (recvStream, error) {
			return casebridgev1.NewReferralServiceClient(r.Conn).WatchReferrals(with(tok), &casebridgev1.WatchReferralsRequest{})
		}, func() any { return new(casebridgev1.WatchReferralsResponse) })
	}
	tasks := func(r *servertest.Env, tok string) *openStream {
		return watch(t, "WatchTasks", func() (recvStream, error) {
			return casebridgev1.NewTaskServiceClient(r.Conn).WatchTasks(with(tok), &casebridgev1.WatchTasksRequest{})
		}, func() any { return new(casebridgev1.WatchTasksResponse) })
	}
	onB, onA := referrals(b, tok), tasks(a, tok)
	otherOnB, otherOnA := referrals(b, other), tasks(a, other)

	if _, err := a.Organizations().RevokeCallerToken(with(tok), &casebridgev1.RevokeCallerTokenRequest{Reason: casebridgev1.SignOutReason_SIGN_OUT_REASON_USER}); err != nil {
		t.Fatal(err)
	}
	signedOut := time.Now()
	for name, s := range map[string]*openStream{"WatchReferrals on B": onB, "WatchTasks on A": onA} {
		select {
		case <-s.ended:
		case <-time.After(500*time.Millisecond - time.Since(signedOut)):
			// At once, not at some later poll: the streams were opened
			// just before the sign-out, so a once-a-second check of theirs
			// would come too late.
			t.Fatalf("%s still open 500 ms after sign-out on A", name)
		}
		st := status.Convert(s.err)
		if st.Code() != codes.Unauthenticated || !strings.HasPrefix(st.Message(), "token has been revoked") {
			t.Errorf("%s ended with %v, want Unauthenticated \"token has been revoked...\"", name, s.err)
		}
		t.Logf("%s ended %v after sign-out on A", name, time.Since(signedOut).Round(time.Millisecond))
	}
	// Longer than a replica's periodic check of open streams
	// (revocation.StreamCheckInterval), had it taken the other token for
	// the revoked one.
	time.Sleep(2 * time.Second)
	for name, s := range map[string]*openStream{"WatchReferrals on B": otherOnB, "WatchTasks on A": otherOnA} {
		if !s.open() {
			t.Errorf("%s of another token of the same user ended: %v", name, s.err)
		}
	}
}

// bearer is a call context carrying tok, ended with the test.
func bearer(t *testing.T, tok string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}
