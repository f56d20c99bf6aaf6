package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/revocation"
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
	if err := revocation.New(pool, nil).Revoke(context.Background(), jti, exp); err != nil {
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
