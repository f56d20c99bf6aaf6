package authz

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/testdb"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const (
	benchOrgs    = 1000
	benchMembers = 20
)

// benchRole gives each organisation 10 caseworkers, 3 supervisors, 3
// lawyers, a coordinator, 2 organisation admins and an auditor.
func benchRole(i int) string {
	switch {
	case i < 10:
		return "caseworker"
	case i < 13:
		return "supervisor"
	case i < 16:
		return "lawyer"
	case i < 17:
		return "coordinator"
	case i < 19:
		return "org_admin"
	default:
		return "auditor"
	}
}

type benchCaller struct {
	subject string
	info    CaseInfo
}

// setupBench loads 1,000 organisations × 20 members into PostgreSQL,
// starts the membership resolver and warms its cache with the callers:
// every caseworker and supervisor (the roles that read cases).
func setupBench(b *testing.B) (*Engine, *Members, []benchCaller) {
	b.Helper()
	ctx := context.Background()
	pool := testdb.New(b)
	orgRows := make([][]any, 0, benchOrgs)
	memberRows := make([][]any, 0, benchOrgs*benchMembers)
	var callers []benchCaller
	for o := range benchOrgs {
		org := fmt.Sprintf("org-%04d", o)
		orgRows = append(orgRows, []any{org, org, int16(1)})
		for i := range benchMembers {
			sub := fmt.Sprintf("user-%04d-%02d", o, i)
			role := benchRole(i)
			memberRows = append(memberRows, []any{org, sub, []string{role}})
			if role == "caseworker" || role == "supervisor" {
				callers = append(callers, benchCaller{subject: sub, info: CaseInfo{OwnerOrg: org}})
			}
		}
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"organizations"}, []string{"id", "display_name", "kind"}, pgx.CopyFromRows(orgRows)); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"memberships"}, []string{"organization_id", "subject", "roles"}, pgx.CopyFromRows(memberRows)); err != nil {
		b.Fatal(err)
	}
	members := startMembers(b, pool, MembersOptions{})
	for _, c := range callers {
		principal(b, members, c.subject)
	}
	return defaultEngine(b), members, callers
}

// authorizeCall is what one GetCase costs in authorization: resolve the
// caller's memberships, look the method up, the method-level check, and
// the case-level check on a case of the caller's organisation.
func authorizeCall(ctx context.Context, e *Engine, m *Members, c benchCaller) error {
	orgs, err := m.Memberships(ctx, c.subject)
	if err != nil {
		return err
	}
	p := Principal{Subject: c.subject, Memberships: orgs}
	perm, ok := e.Permission(casebridgev1.CaseService_GetCase_FullMethodName)
	if !ok || !e.AllowedAnywhere(p, perm.Object, perm.Action) {
		return ErrPermissionDenied
	}
	access, err := e.CaseAccess(p, c.info, perm.Object, perm.Action)
	if err != nil {
		return err
	}
	if len(access.Classes) != len(dataclass.All) {
		return fmt.Errorf("classes %v", access.Classes)
	}
	return nil
}

func BenchmarkAuthorizeCall(b *testing.B) {
	e, m, callers := setupBench(b)
	ctx := context.Background()
	// One pass fills the decision cache, as the first minutes of a running
	// server would.
	for _, c := range callers {
		if err := authorizeCall(ctx, e, m, c); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := authorizeCall(ctx, e, m, callers[i%len(callers)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if err := authorizeCall(ctx, e, m, callers[i%len(callers)]); err != nil {
					b.Error(err)
					return
				}
				i += 7
			}
		})
	})
}

// BenchmarkCasbinEnforceUncached is the cost the decision cache saves: one
// Casbin Enforce for a role in an organisation.
func BenchmarkCasbinEnforceUncached(b *testing.B) {
	s := defaultEngine(b).cur.Load()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		org := fmt.Sprintf("org-%04d", i%benchOrgs)
		if ok, err := s.enforcer.Enforce("supervisor", org, "case", "read"); !ok || err != nil {
			b.Fatal(ok, err)
		}
		i++
	}
}
