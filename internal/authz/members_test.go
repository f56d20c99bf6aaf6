package authz

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/testdb"
)

func TestMembershipsFromDatabase(t *testing.T) {
	pool := testdb.New(t)
	addOrgs(t, pool, "shelter-a", "legal-b")
	addMember(t, pool, "shelter-a", "alice", "caseworker", "org_admin")
	addMember(t, pool, "legal-b", "alice", "lawyer")
	m := NewMembers(pool, MembersOptions{Logger: quietLog})

	p := principal(t, m, "alice")
	want := map[string][]string{"shelter-a": {"caseworker", "org_admin"}, "legal-b": {"lawyer"}}
	if !maps.EqualFunc(p.Memberships, want, slices.Equal) {
		t.Errorf("alice: %v, want %v", p.Memberships, want)
	}
	if p := principal(t, m, "nobody"); len(p.Memberships) != 0 {
		t.Errorf("nobody: %v, want no memberships", p.Memberships)
	}
	if _, err := m.Memberships(context.Background(), ""); err == nil {
		t.Error("empty subject: no error")
	}
}

// A removed member loses access on this replica through NOTIFY. The TTL is
// set far beyond the 5 s deadline so that only the notification can do it.
func TestRemovalTakesEffectThroughNotify(t *testing.T) {
	pool := testdb.New(t)
	addOrgs(t, pool, "shelter-a")
	addMember(t, pool, "shelter-a", "bob", "supervisor")
	addMember(t, pool, "shelter-a", "carol", "supervisor")
	m := startMembers(t, pool, MembersOptions{FallbackTTL: time.Minute, MaxAge: time.Hour})
	e := defaultEngine(t)

	allowed := func(subject, obj, act string) func() bool {
		return func() bool {
			return e.Allowed(principal(t, m, subject), "shelter-a", obj, act)
		}
	}
	if !allowed("bob", "case", "read")() || !allowed("carol", "case", "erase")() {
		t.Fatal("members are not allowed before the change")
	}

	exec(t, pool, `DELETE FROM memberships WHERE subject = 'bob'`)
	took := waitFor(t, 5*time.Second, "removed member denied", func() bool { return !allowed("bob", "case", "read")() })
	t.Logf("removal took effect after %v", took)

	// A role change (supervisor -> caseworker) takes effect the same way.
	exec(t, pool, `UPDATE memberships SET roles = '{caseworker}' WHERE subject = 'carol'`)
	waitFor(t, 5*time.Second, "demoted member cannot erase", func() bool { return !allowed("carol", "case", "erase")() })
	if !allowed("carol", "case", "read")() {
		t.Error("demoted member lost the caseworker role too")
	}

	// And so does a new membership, even though "nobody" was cached as such.
	if p := principal(t, m, "dave"); len(p.Memberships) != 0 {
		t.Fatal("dave is a member already")
	}
	addMember(t, pool, "shelter-a", "dave", "caseworker")
	waitFor(t, 5*time.Second, "new member allowed", allowed("dave", "case", "create"))
}

// Without a listener the cache is trusted for FallbackTTL only.
func TestRemovalWithoutListenerFallsBackToTTL(t *testing.T) {
	pool := testdb.New(t)
	addOrgs(t, pool, "shelter-a")
	addMember(t, pool, "shelter-a", "bob", "caseworker")
	m := NewMembers(pool, MembersOptions{Logger: quietLog}) // not started
	e := defaultEngine(t)
	if !e.Allowed(principal(t, m, "bob"), "shelter-a", "case", "read") {
		t.Fatal("bob is not allowed before removal")
	}
	exec(t, pool, `DELETE FROM memberships WHERE subject = 'bob'`)
	took := waitFor(t, 5*time.Second, "removed member denied", func() bool {
		return !e.Allowed(principal(t, m, "bob"), "shelter-a", "case", "read")
	})
	t.Logf("removal took effect after %v (fallback TTL %v)", took, m.opts.FallbackTTL)
}

// When the listening connection is killed the listener reconnects, listens
// again and flushes what it may have missed.
func TestListenerReconnects(t *testing.T) {
	pool := testdb.New(t)
	addOrgs(t, pool, "shelter-a")
	addMember(t, pool, "shelter-a", "bob", "caseworker")
	m := startMembers(t, pool, MembersOptions{FallbackTTL: time.Minute, MaxAge: time.Hour, MinBackoff: 20 * time.Millisecond})
	e := defaultEngine(t)

	listenerPID := func() int32 {
		var pid int32
		err := pool.QueryRow(context.Background(),
			`SELECT coalesce(max(pid), 0) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
			ListenerApplicationName).Scan(&pid)
		if err != nil {
			t.Fatal(err)
		}
		return pid
	}
	old := listenerPID()
	if old == 0 {
		t.Fatal("no listener connection in pg_stat_activity")
	}
	exec(t, pool, `SELECT pg_terminate_backend($1)`, old)
	waitFor(t, 10*time.Second, "listener reconnected", func() bool {
		pid := listenerPID()
		return pid != 0 && pid != old && m.Listening()
	})

	if !e.Allowed(principal(t, m, "bob"), "shelter-a", "case", "read") {
		t.Fatal("bob is not allowed before removal")
	}
	exec(t, pool, `DELETE FROM memberships WHERE subject = 'bob'`)
	waitFor(t, 5*time.Second, "removed member denied after reconnection", func() bool {
		return !e.Allowed(principal(t, m, "bob"), "shelter-a", "case", "read")
	})
}

// While the listener is down, entries expire after FallbackTTL even if they
// were loaded while it was up.
func TestListenerDownFallsBackToTTL(t *testing.T) {
	pool := testdb.New(t)
	addOrgs(t, pool, "shelter-a")
	addMember(t, pool, "shelter-a", "bob", "caseworker")
	m := startMembers(t, pool, MembersOptions{FallbackTTL: time.Second, MaxAge: time.Hour})
	e := defaultEngine(t)
	if !e.Allowed(principal(t, m, "bob"), "shelter-a", "case", "read") {
		t.Fatal("bob is not allowed before removal")
	}
	m.Close() // the listener is gone for good: no notification will come
	if m.Listening() {
		t.Fatal("still listening after Close")
	}
	exec(t, pool, `DELETE FROM memberships WHERE subject = 'bob'`)
	waitFor(t, 5*time.Second, "removed member denied without a listener", func() bool {
		return !e.Allowed(principal(t, m, "bob"), "shelter-a", "case", "read")
	})
}

func TestMembershipCacheIsBounded(t *testing.T) {
	pool := testdb.New(t)
	addOrgs(t, pool, "shelter-a")
	m := NewMembers(pool, MembersOptions{MaxEntries: 10, Logger: quietLog})
	for i := range 50 {
		s := fmt.Sprintf("user-%d", i)
		addMember(t, pool, "shelter-a", s, "caseworker")
		if p := principal(t, m, s); len(p.Memberships["shelter-a"]) != 1 {
			t.Fatalf("%s: %v", s, p.Memberships)
		}
	}
	if n := m.cached(); n > 10 {
		t.Errorf("%d subjects cached, bound is 10", n)
	}
}

func TestDatabaseErrorIsReturned(t *testing.T) {
	pool := testdb.New(t)
	m := NewMembers(pool, MembersOptions{Logger: quietLog})
	pool.Close()
	if _, err := m.Memberships(context.Background(), "alice"); err == nil {
		t.Error("no error from a closed pool")
	}
}
