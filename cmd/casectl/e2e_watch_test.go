package main_test

import (
	"bufio"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/casebridge/casebridge/internal/authn"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestWatchResumesWithoutLosingEvents: 'referrals watch' keeps following
// across a server restart. A change made while its server is down (through
// a second server on the same database) still reaches it after it
// reconnects, exactly once, because it resumes with its cursor. Ctrl-C
// ends it cleanly with the cursor to resume from.
func TestWatchResumesWithoutLosingEvents(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	addrA := freeAddr(t)
	a := w.start(addrA)
	b := w.start(freeAddr(t))
	cw := w.user("caseworker@shelter-a", a)
	lw := w.user("lawyer@legal-b", a)
	cw.login()
	lw.login()

	var c casebridgev1.Case
	decode(t, cw.ok("cases", "new", "--nationality", "MD", "--forms", "forced-labour", "-o", "json"), &c)
	cw.ok("consent", "add", c.GetReference(), "--purpose", "legal", "--to", "legal-b")

	watch := lw.command(nil, "referrals", "watch", "--output", "json")
	stdout, err := watch.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	watch.Stderr = stderr
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		watch.Process.Kill()
	})
	events := make(chan *casebridgev1.ReferralEvent, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev casebridgev1.ReferralEvent
			if err := protojson.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Errorf("watch printed a line that is not an event: %q", sc.Text())
				continue
			}
			events <- &ev
		}
		close(events)
		exited <- watch.Wait()
	}()
	waitFor(t, stderr, "watching referrals")

	cw.ok("refer", c.GetReference(), "--to", "legal-b", "--service", "legal")
	created := nextEvent(t, events, stderr)
	if created.GetType() != casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_CREATED || created.GetCaseId() != c.GetId() ||
		created.GetCaseReference() != c.GetReference() {
		t.Fatalf("first event: %v", created)
	}

	// Server A goes down; the lawyer accepts through server B meanwhile.
	a.stop()
	lw.ok("--server", b.addr, "referrals", "accept", c.GetReference())
	waitFor(t, stderr, "connection lost")
	w.start(addrA)

	accepted := nextEvent(t, events, stderr)
	if accepted.GetType() != casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_ACCEPTED ||
		accepted.GetReferral().GetId() != created.GetReferral().GetId() {
		t.Fatalf("after reconnecting: %v (want the acceptance, not a repeat)", accepted)
	}
	waitFor(t, stderr, "reconnected; resuming after the last event shown")

	// Ctrl-C stops it cleanly, telling where to resume.
	watch.Process.Signal(syscall.SIGINT)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("watch ended with %v after Ctrl-C; want exit 0\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("watch did not stop on Ctrl-C:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "referrals watch --after "+accepted.GetCursor()) {
		t.Errorf("no resume hint with the last cursor:\n%s", stderr.String())
	}
	for ev := range events {
		t.Errorf("unexpected extra event %v", ev)
	}
}

func nextEvent(t *testing.T, events <-chan *casebridgev1.ReferralEvent, stderr *syncBuffer) *casebridgev1.ReferralEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatalf("watch ended:\n%s", stderr.String())
		}
		return ev
	case <-time.After(60 * time.Second):
		t.Fatalf("no event within a minute:\n%s", stderr.String())
	}
	return nil
}

func waitFor(t *testing.T, buf *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(buf.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %q:\n%s", want, buf.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWatchStopsWhenSignInExpires: when the server ends an open watch
// because the token expired, 'referrals watch' stops with a message saying
// so, instead of reconnecting with a token that can only be refused.
func TestWatchStopsWhenSignInExpires(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	srv := w.start(freeAddr(t))
	lw := w.user("lawyer@legal-b", srv)
	lw.login()
	issuer, err := authn.LoadOrCreateDevIssuer(w.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	const ttl = 3 * time.Second
	tok, err := issuer.Mint("lawyer@legal-b", ttl)
	if err != nil {
		t.Fatal(err)
	}
	watch := lw.command([]string{"CASEBRIDGE_TOKEN=" + tok}, "referrals", "watch")
	stderr := &syncBuffer{}
	watch.Stdout, watch.Stderr = &syncBuffer{}, stderr
	started := time.Now()
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- watch.Wait() }()
	select {
	case err = <-exited:
	case <-time.After(ttl + 30*time.Second):
		watch.Process.Kill()
		t.Fatalf("watch still running long after its token expired:\n%s", stderr.String())
	}
	out := stderr.String()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("watch ended with %v, want exit status 1:\n%s", err, out)
	}
	if d := time.Since(started); d > ttl+10*time.Second {
		t.Errorf("watch stopped %s after starting with a token valid for %s", d, ttl)
	}
	for _, want := range []string{"watching referrals",
		"watch referrals: the server ended the watch: not signed in: token has expired while the stream was open; run 'casectl login' again"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"reconnecting", "rpc error:"} {
		if strings.Contains(out, bad) {
			t.Errorf("stderr says %q:\n%s", bad, out)
		}
	}
}
