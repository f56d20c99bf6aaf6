package casectl

import (
	"regexp"
	"strings"
	"testing"
)

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestTasksFromTheCommandLine: a caseworker adds a follow-up (notes from
// standard input), finds it overdue, snoozes it, then marks it done; bad
// flags are usage errors naming the flag.
func TestTasksFromTheCommandLine(t *testing.T) {
	s := newSession(t)
	caseID := s.server.NewMarkedCase(t)
	s.login("caseworker@shelter-a")

	o := s.run("", false, "tasks", "add", caseID, "--title", "call the school", "--due", "1999-01-02 09:00")
	if o.code == 0 || !strings.Contains(o.stderr, "--due") {
		t.Fatalf("a due time in 1999 was accepted, or the error names no flag: %+v", o)
	}
	o = s.run("met the school counsellor\n", false, "tasks", "add", caseID, "--title", "call the school", "--due", "in 1h", "--notes", "-", "--assignee", "caseworker@shelter-a")
	if o.code != 0 || !strings.Contains(o.stdout, "call the school") {
		t.Fatalf("tasks add: %+v", o)
	}
	id := uuidRE.FindString(o.stdout)
	if id == "" {
		t.Fatalf("tasks add printed no id: %+v", o)
	}
	if o := s.run("", false, "tasks", "list", "--soon", "--mine"); o.code != 0 || !strings.Contains(o.stdout, id) {
		t.Fatalf("tasks list --soon --mine: %+v", o)
	}
	if o := s.run("", false, "tasks", "list", "--overdue"); o.code != 0 || strings.Contains(o.stdout, id) {
		t.Fatalf("tasks list --overdue shows a task due in an hour: %+v", o)
	}
	if o := s.run("", false, "tasks", "snooze", id, "--until", "in 2d"); o.code != 0 || !strings.Contains(o.stdout, "SNOOZED") && !strings.Contains(strings.ToUpper(o.stdout), "SNOOZED") {
		t.Fatalf("tasks snooze: %+v", o)
	}
	if o := s.run("", false, "tasks", "list", "--soon"); o.code != 0 || strings.Contains(o.stdout, id) {
		t.Fatalf("a snoozed task is still due soon: %+v", o)
	}
	if o := s.run("", false, "tasks", "done", id); o.code != 0 {
		t.Fatalf("tasks done: %+v", o)
	}
	if o := s.run("", false, "tasks", "list"); o.code != 0 || strings.Contains(o.stdout, id) {
		t.Fatalf("a done task is still listed: %+v", o)
	}
	if o := s.run("", false, "tasks", "done", id); o.code == 0 || !strings.Contains(strings.ToLower(o.stderr), "done") {
		t.Fatalf("completing a done task again: %+v", o)
	}
	if o := s.run("", false, "tasks", "list", "--overdue", "--soon"); o.code != 2 {
		t.Fatalf("--overdue --soon: %+v", o)
	}
	if o := s.run("", false, "tasks", "snooze", id, "--until", "whenever"); o.code != 2 || !strings.Contains(o.stderr, "--until") {
		t.Fatalf("--until whenever: %+v", o)
	}
}
