package casectl

import (
	"context"
	"encoding/csv"
	"fmt"
	"time"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/datetime"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/follow"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// clockSkew widens the look-up of changes missed while disconnected, since
// the client's clock and the server's may disagree a little.
const clockSkew = 5 * time.Second

func (a *app) referralsWatchCommand() *cli.Command {
	var after, org string
	return &cli.Command{
		Name:    "watch",
		Summary: "show referral changes live until Ctrl-C",
		Help: `Show every change to your organisation's referrals as it happens: created,
accepted, declined, completed, withdrawn, revoked, and status changes of the
cases they concern. Events carry status only, never victim data.

If the connection breaks (the server restarts, the network drops), casectl
reconnects by itself and resumes right after the last event it showed, so
nothing is lost or shown twice. When the server ends the watch because your
sign-in expired or your membership or roles changed, it stops and says so
instead of reconnecting. Ctrl-C stops it and prints the cursor to
resume from later with --after. With --output json each event is one JSON
line.`,
		Examples: []string{
			"casectl referrals watch",
			"casectl referrals watch --output json | jq .type",
			"casectl referrals watch --after CURSOR",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&after, "after", "", "resume after this `cursor` (printed when a watch stops)")
			fs.StringVar(&org, "org", "", "watch for this organisation only, when you belong to several")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, _ []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			show := a.eventPrinter(f)
			w := &follow.Watcher{
				Open: func(ctx context.Context, cursor string) (follow.Stream, error) {
					stream, err := c.referrals.WatchReferrals(ctx, &casebridgev1.WatchReferralsRequest{AfterCursor: cursor, OrganizationId: org})
					if err != nil {
						return nil, err
					}
					// The server sends headers once the starting position is
					// fixed: from then on no change can slip past the stream.
					if _, err := stream.Header(); err != nil {
						return nil, err
					}
					return stream, nil
				},
				Handle:     show,
				Notice:     func(format string, args ...any) { a.say(format, args...) },
				Gap:        func(ctx context.Context, since time.Time) error { return a.showGap(ctx, c, org, since) },
				MinBackoff: 500 * time.Millisecond,
				MaxBackoff: 10 * time.Second,
				Now:        a.env.Now,
			}
			last, err := w.Run(ctx, after)
			if status.Code(err) == codes.FailedPrecondition {
				// The cursor names an event the server's stream does not
				// hold (a restored backup, or events no longer kept):
				// resuming is impossible, and the cursor is useless.
				return fmt.Errorf("watch referrals: the server cannot resume after this cursor (%s).\n"+
					"Start over: run 'casectl referrals watch' without --after, and look at 'casectl referrals list' "+
					"for what changed meanwhile", status.Convert(err).Message())
			}
			if last != "" {
				a.say("To resume from here: casectl referrals watch --after %s", last)
			}
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "watch referrals"), map[string]string{"after_cursor": "--after", "organization_id": "--org"})
			}
			return nil
		},
	}
}

// eventPrinter writes each event as it arrives: a line for people, a JSON
// line, or a CSV row (after one header row).
func (a *app) eventPrinter(f output.Format) func(*casebridgev1.ReferralEvent) error {
	w := a.stdout()
	switch f {
	case output.JSON:
		return func(e *casebridgev1.ReferralEvent) error { return output.JSONLine(w, e) }
	case output.CSV:
		cw := csv.NewWriter(w)
		wroteHeader := false
		return func(e *casebridgev1.ReferralEvent) error {
			if !wroteHeader {
				hs := make([]string, len(eventColumns))
				for i, c := range eventColumns {
					hs[i] = c.Header
				}
				cw.Write(hs)
				wroteHeader = true
			}
			row := make([]string, len(eventColumns))
			for i, c := range eventColumns {
				row[i] = c.Value(e)
			}
			cw.Write(row)
			cw.Flush()
			return cw.Error()
		}
	default:
		return func(e *casebridgev1.ReferralEvent) error {
			r := e.GetReferral()
			_, err := fmt.Fprintf(w, "%s  %-19s referral %s  %s → %s  %s, now %s (case %s: %s)\n",
				datetime.Local(e.GetEventTime()), enumName(e.GetType()), r.GetId(),
				r.GetFromOrganizationId(), r.GetToOrganizationId(), enumName(r.GetService()),
				enumName(r.GetStatus()), firstNonEmpty(e.GetCaseReference(), e.GetCaseId()), enumName(e.GetCaseStatus()))
			return err
		}
	}
}

// showGap tells the user about referrals that changed while the watch was
// disconnected before any event had given it a cursor to resume from.
func (a *app) showGap(ctx context.Context, c *clients, org string, since time.Time) error {
	since = since.Add(-clockSkew)
	req := &casebridgev1.ListReferralsRequest{OrganizationId: org, PageSize: 100}
	resp, err := c.referrals.ListReferrals(ctx, req)
	if err != nil {
		return err
	}
	for _, r := range resp.GetReferrals() { // newest change first
		if r.GetUpdateTime().AsTime().Before(since) {
			break
		}
		a.say("may have changed while disconnected: referral %s of %s (%s → %s) is %s since %s",
			r.GetId(), r.GetCaseReference(), r.GetFromOrganizationId(), r.GetToOrganizationId(),
			enumName(r.GetStatus()), datetime.Local(r.GetUpdateTime()))
	}
	return nil
}
