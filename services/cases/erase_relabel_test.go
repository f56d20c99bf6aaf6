package cases_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestEraseWithRelabelledKeyIsFailedPrecondition: another organisation's
// key relabelled as the owner's active key (as the server's own database
// role can) makes the erasure's key rotation refuse it (keys.ErrForeignKey).
// EraseCase answers FailedPrecondition saying the key records were altered
// — not Internal — names no key or organisation, and shreds nothing; with
// the rows put back the erasure goes through.
func TestEraseWithRelabelledKeyIsFailedPrecondition(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	id := env.NewMarkedCase(t)
	// cso-c's first case gives it an active key of its own.
	if _, err := env.Cases().CreateCase(env.As(t, "caseworker@cso-c"), &casebridgev1.CreateCaseRequest{Case: newCase()}); err != nil {
		t.Fatal(err)
	}
	active := func(org string) string {
		var k string
		if err := env.Pool.QueryRow(ctx, `SELECT key_id FROM organization_keys WHERE organization_id = $1 AND state = 1`, org).Scan(&k); err != nil {
			t.Fatalf("active key of %s: %v", org, err)
		}
		return k
	}
	keyA, keyC := active("shelter-a"), active("cso-c")
	exec := func(sql string, args ...any) {
		if _, err := env.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE organization_keys SET state = 2 WHERE key_id = $1`, keyA)
	exec(`UPDATE organization_keys SET organization_id = 'shelter-a', state = 1 WHERE key_id = $1`, keyC)
	wrapped := func() int {
		var n int
		if err := env.Pool.QueryRow(ctx, `SELECT count(*) FROM case_keys WHERE case_id = $1`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := wrapped()

	sv := env.As(t, supervisor)
	_, err := env.Cases().EraseCase(sv, &casebridgev1.EraseCaseRequest{Id: id, Reason: "the person asked"})
	st, _ := status.FromError(err)
	if st.Code() != codes.FailedPrecondition {
		t.Fatalf("erase with a relabelled key: %v, want FailedPrecondition", err)
	}
	if msg := st.Message(); !strings.Contains(msg, "key records") || strings.Contains(msg, keyC) || strings.Contains(msg, "cso-c") {
		t.Errorf("message %q must say the key records were altered, naming neither the key nor its organisation", msg)
	}
	if got := wrapped(); got != before || before == 0 {
		t.Fatalf("the refused erasure left %d wrapped keys of %d", got, before)
	}
	got, err := env.Cases().GetCase(sv, &casebridgev1.GetCaseRequest{Id: id, View: casebridgev1.CaseView_CASE_VIEW_FULL})
	if err != nil || got.GetCase().GetIdentity().GetGivenNames() != "Marker-Given-5150" {
		t.Fatalf("after the refused erasure the case reads %v (%v), want its data intact", got.GetCase().GetIdentity(), err)
	}

	exec(`UPDATE organization_keys SET organization_id = 'cso-c', state = 1 WHERE key_id = $1`, keyC)
	exec(`UPDATE organization_keys SET state = 1 WHERE key_id = $1`, keyA)
	if _, err := env.Cases().EraseCase(sv, &casebridgev1.EraseCaseRequest{Id: id, Reason: "the person asked"}); err != nil {
		t.Fatalf("erase with the key rows restored: %v", err)
	}
}
