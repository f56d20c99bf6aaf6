package digest_test

import (
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/digest"
	"github.com/casebridge/casebridge/internal/scheduler"
	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/policies"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// mailbox is a real SMTP server on loopback that keeps what it receives.
type mailbox struct {
	mu   sync.Mutex
	msgs []received
	addr string
}

type received struct {
	from    string
	to      []string
	subject string
	body    string
	raw     string
}

type session struct {
	box  *mailbox
	from string
	to   []string
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		return err
	}
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, received{from: s.from, to: s.to, subject: subject, body: string(body), raw: string(raw)})
	s.box.mu.Unlock()
	return nil
}

func startMailbox(t *testing.T) *mailbox {
	box := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{box: box}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	box.addr = lis.Addr().String()
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Close() })
	return box
}

func (b *mailbox) all() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

// TestDigestsAreSentOnceByTwoReplicasAndCarryNoVictimData: two replicas
// (two River clients) on one database, a real SMTP server. Each member
// with a contact address gets one digest a day, in their language, with
// counts, the organisation's name, case references and a link — no sealed
// value, no name from a case. A digest whose row was claimed by an attempt
// that crashed is not sent again.
func TestDigestsAreSentOnceByTwoReplicasAndCarryNoVictimData(t *testing.T) {
	box := startMailbox(t)
	cfg := digest.Config{SMTP: digest.SMTP{Addr: box.addr, From: "casebridge@example.org", Security: "none"},
		PublicURL: "https://casebridge.example.org/", Hour: 0, Every: time.Second}
	env := servertest.Start(t, func(c *server.Config) { c.Digest = cfg; c.TaskSweep = time.Hour })
	// A second replica: its own River client on the same database, with
	// the same policy.
	engine, err := authz.NewEngine(policies.Files(), authz.EngineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	second := scheduler.New(env.Pool, nil, scheduler.Options{ID: "second-replica", PollInterval: 200 * time.Millisecond})
	digest.Schedule(second, env.Pool, engine, cfg, nil)

	// Tasks whose titles and notes are markers, on a marked case.
	sc := env.SealedCase(t)
	ts := casebridgev1.NewTaskServiceClient(env.Conn)
	cw := env.As(t, "caseworker@shelter-a")
	for i, due := range []time.Duration{-48 * time.Hour, -time.Hour, 24 * time.Hour} {
		if _, err := ts.CreateTask(cw, &casebridgev1.CreateTaskRequest{CaseId: sc.CaseID, Title: servertest.MarkTask + "-title",
			Notes: servertest.MarkNote + "-notes", DueTime: timestamppb.New(time.Now().Add(due)),
			Assignee: map[bool]string{true: "caseworker@shelter-a"}[i < 2]}); err != nil {
			t.Fatal(err)
		}
	}
	var reference string
	if err := env.Pool.QueryRow(t.Context(), `SELECT reference FROM cases WHERE id = $1`, sc.CaseID).Scan(&reference); err != nil {
		t.Fatal(err)
	}

	// Contact addresses last: the running replica sweeps every second.
	admin := env.As(t, "admin@shelter-a")
	orgs := env.Organizations()
	members := map[string]struct {
		email string
		role  casebridgev1.Role
		lang  casebridgev1.Language
		words string // a phrase of the language
	}{
		"caseworker@shelter-a": {"cw@shelter-a.example.org", casebridgev1.Role_ROLE_CASEWORKER, casebridgev1.Language_LANGUAGE_SERBIAN_LATIN, "Dodeljeno vama: 2"},
		"supervisor@shelter-a": {"sv@shelter-a.example.org", casebridgev1.Role_ROLE_SUPERVISOR, casebridgev1.Language_LANGUAGE_MACEDONIAN, "Доделени на вас: 0"},
		"admin@shelter-a":      {"admin@shelter-a.example.org", casebridgev1.Role_ROLE_ORG_ADMIN, casebridgev1.Language_LANGUAGE_ALBANIAN, ""},
	}
	for subject, m := range members {
		email, lang := m.email, m.lang
		if _, err := orgs.UpdateMember(admin, &casebridgev1.UpdateMemberRequest{OrganizationId: "shelter-a", Subject: subject,
			Roles: []casebridgev1.Role{m.role}, ContactEmail: &email, PreferredLanguage: &lang}); err != nil {
			t.Fatalf("update member %s: %v", subject, err)
		}
	}
	got, err := orgs.ListMembers(admin, &casebridgev1.ListMembersRequest{OrganizationId: "shelter-a"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range got.GetMembers() {
		if w, ok := members[m.GetSubject()]; ok && (m.GetContactEmail() != w.email || m.GetPreferredLanguage() != w.lang) {
			t.Fatalf("member %s reads back %q %v", m.GetSubject(), m.GetContactEmail(), m.GetPreferredLanguage())
		}
	}

	if err := second.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(second.Stop)
	// Both replicas sweep every second for a while.
	deadline := time.Now().Add(20 * time.Second)
	for len(box.all()) < 2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(3 * time.Second)
	msgs := box.all()
	perRecipient := map[string]int{}
	for _, m := range msgs {
		for _, to := range m.to {
			perRecipient[to]++
		}
		for _, marker := range servertest.Markers {
			if strings.Contains(m.raw, marker) || strings.Contains(m.body, marker) || strings.Contains(m.subject, marker) {
				t.Errorf("a digest carries the sealed value %q:\n%s", marker, m.body)
			}
		}
		if !strings.Contains(m.body, "https://casebridge.example.org/tasks") || !strings.Contains(m.body, "Shelter A") {
			t.Errorf("a digest lacks the link or the organisation:\n%s", m.body)
		}
	}
	for subject, m := range members {
		want := 1
		if m.words == "" {
			want = 0 // an org admin may not read tasks: no digest
		}
		if perRecipient[m.email] != want {
			t.Errorf("%s received %d digests, want %d", subject, perRecipient[m.email], want)
		}
	}
	for _, m := range msgs {
		for subject, w := range members {
			if len(m.to) == 1 && m.to[0] == w.email && (!strings.Contains(m.body, w.words) || !strings.Contains(m.body, reference)) {
				t.Errorf("%s's digest is not in their language or lacks the case reference %s:\n%s", subject, reference, m.body)
			}
		}
	}
	var rows, sent int
	if err := env.Pool.QueryRow(t.Context(), `SELECT count(*), count(sent_time) FROM digests`).Scan(&rows, &sent); err != nil {
		t.Fatal(err)
	}
	if sent != 2 {
		t.Errorf("digests table: %d rows, %d sent; want 2 sent", rows, sent)
	}

	// A digest claimed by an attempt that crashed before finishing is never
	// sent: its job runs again and does nothing.
	before := len(box.all())
	if _, err := env.Pool.Exec(t.Context(), `UPDATE digests SET sent_time = NULL WHERE sent_time IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	var id string
	var day time.Time
	if err := env.Pool.QueryRow(t.Context(), `SELECT id::text, day FROM digests WHERE send_start_time IS NOT NULL LIMIT 1`).Scan(&id, &day); err != nil {
		t.Fatal(err)
	}
	if err := second.Insert(t.Context(), nil, scheduler.DigestArgs{DigestID: id, Day: day}, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if after := len(box.all()); after != before {
		t.Fatalf("a claimed digest was sent again: %d messages, then %d", before, after)
	}
}
