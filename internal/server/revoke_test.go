package server_test

import (
	"context"
	"slices"
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
	with := func(tok string) context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		t.Cleanup(cancel)
		return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	}
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
	with := func(tok string) context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		t.Cleanup(cancel)
		return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	}
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
