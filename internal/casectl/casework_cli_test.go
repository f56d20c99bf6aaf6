package casectl

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCaseworkCommands: a caseworker starts a plan, adds an objective and
// an action and records it done, records a service and its delivery, and
// asks approval of the plan; the supervisor finds the request waiting and
// approves it, which activates the plan; a rejection without a comment is
// refused, naming the flag.
func TestCaseworkCommands(t *testing.T) {
	s := newSession(t)
	caseID := s.server.NewMarkedCase(t)
	s.login("caseworker@shelter-a")

	if o := s.run("", false, "plan", "new", caseID, "--summary", "Marker-needs housing", "--review", "2030-01-01"); o.code != 0 || !strings.Contains(o.stdout, "Marker-needs housing") {
		t.Fatalf("plan new: %+v", o)
	}
	o := s.run("", false, "plan", "objective", caseID, "--text", "safe housing", "--output", "json")
	var obj struct{ ID string }
	if o.code != 0 || json.Unmarshal([]byte(strings.TrimSpace(strings.Trim(strings.TrimSpace(o.stdout), "[]"))), &obj) != nil || obj.ID == "" {
		t.Fatalf("plan objective: %+v", o)
	}
	o = s.run("", false, "plan", "action", caseID, obj.ID, "--text", "visit the housing office", "--output", "json")
	var act struct{ ID string }
	if o.code != 0 || json.Unmarshal([]byte(strings.Trim(strings.TrimSpace(o.stdout), "[]")), &act) != nil || act.ID == "" {
		t.Fatalf("plan action: %+v", o)
	}
	if o := s.run("", false, "plan", "done", caseID, act.ID, "--date", "today"); o.code != 0 || !strings.Contains(o.stdout, "done") {
		t.Fatalf("plan done: %+v", o)
	}
	o = s.run("", false, "services", "add", caseID, "--kind", "shelter", "--output", "json")
	var svc struct{ ID string }
	if o.code != 0 || json.Unmarshal([]byte(strings.Trim(strings.TrimSpace(o.stdout), "[]")), &svc) != nil || svc.ID == "" {
		t.Fatalf("services add: %+v", o)
	}
	if o := s.run("", false, "services", "deliver", caseID, svc.ID, "--date", "today", "--outcome", "settled in"); o.code != 0 || !strings.Contains(o.stdout, "delivered") {
		t.Fatalf("services deliver: %+v", o)
	}
	if o := s.run("", false, "services", "list", caseID); o.code != 0 || !strings.Contains(o.stdout, "settled in") {
		t.Fatalf("services list: %+v", o)
	}
	if o := s.run("", false, "approvals", "request", caseID, "--plan", "--comment", "agreed on Monday"); o.code != 0 || !strings.Contains(o.stdout, "pending") {
		t.Fatalf("approvals request: %+v", o)
	}

	s.login("supervisor@shelter-a")
	o = s.run("", false, "approvals", "list", "--output", "json")
	var pending struct{ ID string }
	if o.code != 0 || json.Unmarshal([]byte(strings.Trim(strings.TrimSpace(o.stdout), "[]")), &pending) != nil || pending.ID == "" {
		t.Fatalf("approvals list: %+v", o)
	}
	if o := s.run("", false, "approvals", "reject", pending.ID); o.code != 1 || !strings.Contains(o.stderr, "--comment") {
		t.Fatalf("a rejection without a comment: %+v", o)
	}
	if o := s.run("", false, "approvals", "approve", pending.ID, "--comment", "good plan"); o.code != 0 || !strings.Contains(o.stdout, "approved") {
		t.Fatalf("approvals approve: %+v", o)
	}
	if o := s.run("", false, "plan", "show", caseID); o.code != 0 || !strings.Contains(o.stdout, "active") {
		t.Fatalf("plan show: %+v", o)
	}
}
