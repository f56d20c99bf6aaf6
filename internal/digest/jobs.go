package digest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/scheduler"
)

// Config is what the digests need besides the database.
type Config struct {
	SMTP SMTP
	// PublicURL is the address of the web client; digests link to its
	// task list.
	PublicURL string
	// Hour (UTC) from which the day's digests are sent.
	Hour int
	// Every is how often the server looks for digests due (zero: every
	// ten minutes).
	Every time.Duration
	// SoonDays is the "due soon" horizon (zero: 7 days).
	SoonDays int
}

// Validate refuses a half or unsafe configuration.
func (c Config) Validate() error {
	if c.SMTP.Addr == "" {
		return nil
	}
	if c.SMTP.From == "" {
		return errors.New("--smtp-from is required with --smtp-addr")
	}
	if c.Hour < 0 || c.Hour > 23 {
		return errors.New("--digest-hour must be between 0 and 23")
	}
	switch c.SMTP.Security {
	case "", "starttls", "tls":
	case "none":
		host, _, err := net.SplitHostPort(c.SMTP.Addr)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return errors.New("--smtp-security none is only for a relay on loopback: digests name the organisation and case references")
		}
	default:
		return errors.New("--smtp-security must be starttls, tls or none")
	}
	return nil
}

// Enabled reports whether digests are configured at all.
func (c Config) Enabled() bool { return c.SMTP.Addr != "" && c.SMTP.From != "" }

// Schedule registers the digest jobs with s.
func Schedule(s *scheduler.Scheduler, pool *pgxpool.Pool, engine *authz.Engine, cfg Config, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.SoonDays <= 0 {
		cfg.SoonDays = 7
	}
	every := cfg.Every
	if every <= 0 {
		every = 10 * time.Minute
	}
	log = log.With("component", "digest")
	scheduler.Handle(s, &sweepWorker{pool: pool, sched: s, cfg: cfg})
	scheduler.Handle(s, &sendWorker{pool: pool, engine: engine, cfg: cfg, log: log})
	s.Every(every, scheduler.DigestSweepArgs{})
}

type sweepWorker struct {
	river.WorkerDefaults[scheduler.DigestSweepArgs]
	pool  *pgxpool.Pool
	sched *scheduler.Scheduler
	cfg   Config
}

// Work records the day's digests and enqueues their jobs in the same
// transaction: a digest is recorded once (unique per member and day), and
// has a job exactly when its row committed.
func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[scheduler.DigestSweepArgs]) error {
	now := time.Now().UTC()
	if now.Hour() < w.cfg.Hour {
		return nil
	}
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return pgx.BeginFunc(ctx, w.pool, func(tx pgx.Tx) error {
		ids, err := recordDue(ctx, tx, day)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := w.sched.Insert(ctx, tx, scheduler.DigestArgs{DigestID: id, Day: day}, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

type sendWorker struct {
	river.WorkerDefaults[scheduler.DigestArgs]
	pool   *pgxpool.Pool
	engine *authz.Engine
	cfg    Config
	log    *slog.Logger
}

// Work sends one digest at most once: it claims the row first (committed
// on its own), and a row already claimed is left alone.
func (w *sendWorker) Work(ctx context.Context, job *river.Job[scheduler.DigestArgs]) error {
	id := job.Args.DigestID
	r, err := mark(ctx, w.pool, id)
	if errors.Is(err, errTaken) {
		return nil
	}
	if err != nil {
		return err
	}
	p := authz.Principal{Subject: r.Subject, Memberships: map[string][]string{r.Org: r.Roles}}
	if r.Email == "" || !w.engine.Allowed(p, r.Org, "task", authz.ActRead) {
		return finish(ctx, w.pool, id, true)
	}
	s, err := summarise(ctx, w.pool, r.Org, r.Subject, time.Now(), w.cfg.SoonDays)
	if err != nil {
		return errors.Join(err, release(context.WithoutCancel(ctx), w.pool, id))
	}
	if s.empty() {
		return finish(ctx, w.pool, id, true)
	}
	s.OrgName = r.OrgName
	subject, body := render(r.Language, r.Day.Format("2006-01-02"), s, strings.TrimRight(w.cfg.PublicURL, "/")+"/tasks")
	if err := w.cfg.SMTP.send(r.Email, subject, body); err != nil {
		if errors.Is(err, errNotStarted) {
			// Nothing left: another attempt may send it.
			return errors.Join(err, release(context.WithoutCancel(ctx), w.pool, id))
		}
		// Part of it may have gone out: the digest is lost, not repeated.
		w.log.Warn("a digest may not have been delivered; it is not sent again", "digest_id", id, "error", err)
		return nil
	}
	return finish(ctx, w.pool, id, false)
}
