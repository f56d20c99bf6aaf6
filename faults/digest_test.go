package faults

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/scheduler"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// mailbox is a real SMTP server on loopback, in the test process. While
// held, it takes every message's DATA but never answers it: a digest is in
// the middle of its send for as long as the test likes.
type mailbox struct {
	addr string

	mu        sync.Mutex
	held      bool
	started   map[string]int // recipient -> DATA begun
	delivered map[string]int // recipient -> DATA accepted
	begun     chan struct{}  // closed at the first DATA
	once      sync.Once
	release   chan struct{}
}

type mailSession struct {
	box *mailbox
	to  []string
}

func (s *mailSession) Reset()                                    { s.to = nil }
func (s *mailSession) Logout() error                             { return nil }
func (s *mailSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }
func (s *mailSession) Data(r io.Reader) error {
	b := s.box
	b.mu.Lock()
	for _, to := range s.to {
		b.started[to]++
	}
	held := b.held
	b.mu.Unlock()
	b.once.Do(func() { close(b.begun) })
	if _, err := io.ReadAll(r); err != nil {
		return err
	}
	if held {
		<-b.release // the sender is killed meanwhile: this answer goes nowhere
		return &smtp.SMTPError{Code: 451, Message: "try later"}
	}
	b.mu.Lock()
	for _, to := range s.to {
		b.delivered[to]++
	}
	b.mu.Unlock()
	return nil
}

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	box := &mailbox{held: true, started: map[string]int{}, delivered: map[string]int{}, begun: make(chan struct{}), release: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{box: box}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	box.addr = lis.Addr().String()
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() {
		box.unhold()
		srv.Close()
	})
	return box
}

// unhold lets every held and later message through.
func (b *mailbox) unhold() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held {
		b.held = false
		close(b.release)
	}
}

func (b *mailbox) counts(to string) (started, delivered int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.started[to], b.delivered[to]
}

// TestDigestServerKilled kills the server (kill -9) in the middle of
// sending task digests, while its SMTP server holds their DATA unanswered,
// and starts it again. The digests' River jobs, left running by the dead
// process, are taken again and complete, once each;
// and no digest is ever sent twice: a send that may have gone out is lost,
// never repeated, and the next sweep records no second digest of the day.
func TestDigestServerKilled(t *testing.T) {
	box := startMailbox(t)
	cl := StartCluster(t)
	url := cl.Database(t, "casebridge")
	// Jobs of the dead server are rescued after 10 s, not 2 minutes (a
	// fault-injection knob of internal/scheduler).
	srv := StartServerEnv(t, serverBin, url, []string{scheduler.FaultRescueAfterEnv + "=10s"},
		"--smtp-addr", box.addr, "--smtp-from", "casebridge@example.org",
		"--smtp-security", "none", "--digest-hour", "0", "--digest-every", "1s")
	w := NewWorkload(t, srv, Options{Writers: 2})
	w.Start()
	loadFor(t, w, 20)

	// Overdue tasks at shelter-a, and two members with a contact address:
	// both are due a digest from the next sweep on.
	caseID, _ := shareCase(t, srv, false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tasks := casebridgev1.NewTaskServiceClient(srv.Conn)
	for _, who := range []string{Caseworker, "supervisor@shelter-a"} {
		if err := admitted(ctx, func() error {
			_, err := tasks.CreateTask(srv.As(ctx, Caseworker), &casebridgev1.CreateTaskRequest{CaseId: caseID, Title: "call the lawyer",
				DueTime: timestamppb.New(time.Now().Add(-48 * time.Hour)), Assignee: who})
			return err
		}); err != nil {
			t.Fatalf("create task: %v", err)
		}
	}
	recipients := map[string]string{Caseworker: "cw@shelter-a.example.org", "supervisor@shelter-a": "sv@shelter-a.example.org"}
	orgs := casebridgev1.NewOrganizationServiceClient(srv.Conn)
	for subject, email := range recipients {
		role := casebridgev1.Role_ROLE_CASEWORKER
		if subject != Caseworker {
			role = casebridgev1.Role_ROLE_SUPERVISOR
		}
		if err := admitted(ctx, func() error {
			_, err := orgs.UpdateMember(srv.As(ctx, "admin@shelter-a"), &casebridgev1.UpdateMemberRequest{OrganizationId: ownerOrg, Subject: subject,
				Roles: []casebridgev1.Role{role}, ContactEmail: &email})
			return err
		}); err != nil {
			t.Fatalf("update member %s: %v", subject, err)
		}
	}

	select {
	case <-box.begun:
	case <-time.After(time.Minute):
		t.Fatal("no digest send began within a minute")
	}
	time.Sleep(500 * time.Millisecond) // the other digest's send, too
	srv.Kill9()
	box.unhold()
	start := time.Now()
	srv.Start()
	recovery := srv.WaitServing(90 * time.Second)
	_ = firstAck(t, w, start)

	db, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	// Every digest job the dead server was running is taken again and
	// completes: River rescues it after 10 s, on its next rescue round
	// (every 30 s).
	var jobs int
	for {
		running := count(`SELECT count(*) FROM river_job WHERE kind = 'digest' AND state <> 'completed'`)
		jobs = count(`SELECT count(*) FROM river_job WHERE kind = 'digest'`)
		if running == 0 && jobs > 0 {
			break
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("%d of %d digest jobs not completed 2 minutes after the restart", running, jobs)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("%d digest jobs completed %s after the restart; retried: %d", jobs, time.Since(start).Round(100*time.Millisecond),
		count(`SELECT count(*) FROM river_job WHERE kind = 'digest' AND attempt > 1`))
	if n := count(`SELECT count(*) FROM river_job WHERE kind = 'digest' AND attempt > 1`); n == 0 {
		t.Error("no digest job was run again after the kill: the kill did not land during a send")
	}
	// A few more sweeps: none records or sends a second digest of the day.
	time.Sleep(3 * time.Second)
	for subject, email := range recipients {
		started, delivered := box.counts(email)
		if delivered > 1 || started > 1 {
			t.Errorf("%s: %d digests begun, %d delivered; want at most one", subject, started, delivered)
		}
		if n := count(`SELECT count(*) FROM digests WHERE organization_id = $1 AND subject = $2`, ownerOrg, subject); n != 1 {
			t.Errorf("%s: %d digests recorded for the day, want 1", subject, n)
		}
		t.Logf("%s: %d digest begun, %d delivered", subject, started, delivered)
	}
	w.Stop()
	clean(t, w)
	report(t, "server killed (kill -9) during a digest send (SMTP DATA unanswered)", Check(t, srv, url, w.Ledger), recovery)
}
