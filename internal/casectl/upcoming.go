package casectl

import (
	"time"

	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/ical"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) upcomingCommand() *cli.Command {
	var days, limit int
	var lawyer, icsPath string
	return &cli.Command{
		Name:    "upcoming",
		Summary: "the lawyer's calendar: hearings and deadlines ahead",
		Help: `List scheduled hearings and open deadlines in the next --days days, earliest
first; open deadlines already past due come first, so that none is missed.

--ics FILE also writes them as an iCalendar file to import into a calendar
application. Calendars are synchronised to phones and outside services, so
the file holds only public court details — the kind of hearing or deadline,
the court and its docket number — never a name, a case reference or notes.
Times in it are UTC; calendar applications show them in local time. A
hearing ends (DTEND) after the length the court expects (hearings add
--duration), or after 2 hours when none was given; a deadline is a moment.`,
		Examples: []string{
			"casectl upcoming",
			"casectl upcoming --days 30 --ics hearings.ics",
			"casectl upcoming --days 90 --lawyer lawyer@legal-b --output csv",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.IntVar(&days, "days", 30, "how many days ahead to look (1 to 366)")
			fs.StringVar(&lawyer, "lawyer", "", "only proceedings this lawyer (`subject`) is responsible for")
			fs.StringVar(&icsPath, "ics", "", "also write an iCalendar `file` (RFC 5545)")
			limitFlag(fs, &limit)
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, _ []string) error {
			if days < 1 || days > 366 {
				return cli.Usagef("--days: give 1 to 366")
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			req := &casebridgev1.ListUpcomingRequest{Days: int32(days), ResponsibleLawyer: lawyer}
			items, more, err := collect(ctx, limit, func(ctx context.Context, token string, size int32) ([]*casebridgev1.UpcomingItem, string, error) {
				req.PageToken, req.PageSize = token, size
				resp, err := c.proceedings.ListUpcoming(ctx, req)
				return resp.GetItems(), resp.GetNextPageToken(), err
			})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "list upcoming hearings and deadlines"), map[string]string{"days": "--days", "responsible_lawyer": "--lawyer"})
			}
			a.noteMore(more, limit)
			if icsPath != "" {
				if err := a.writeCalendar(icsPath, items); err != nil {
					return err
				}
			}
			return output.List(a.stdout(), f, items, upcomingColumns)
		},
	}
}

// writeCalendar writes items to path as iCalendar, replacing the file
// whole so that a calendar watching it never reads half of it.
func (a *app) writeCalendar(path string, items []*casebridgev1.UpcomingItem) error {
	events := make([]ical.Event, 0, len(items))
	for _, it := range items {
		events = append(events, calendarEvent(it))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".casectl-*.ics")
	if err != nil {
		return fmt.Errorf("write calendar: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := ical.Write(tmp, a.env.Now(), events); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write calendar: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write calendar: %w", err)
	}
	a.say("Wrote %s to %s.", plural(len(events), "calendar entry", "calendar entries"), path)
	return nil
}

// calendarEvent keeps only public court details: see the command's help.
func calendarEvent(it *casebridgev1.UpcomingItem) ical.Event {
	where := strings.TrimSpace(strings.Join(nonEmpty([]string{it.GetCourt(), it.GetDocketNumber()}), ", "))
	summary := strings.ToUpper(upcomingWhat(it)[:1]) + upcomingWhat(it)[1:]
	if where != "" {
		summary += ": " + where
	}
	e := ical.Event{Summary: summary, Location: it.GetCourt()}
	if h := it.GetHearing(); h != nil {
		e.UID, e.Start = "hearing-"+h.GetId()+"@casebridge", h.GetStartTime().AsTime()
		if d := h.GetExpectedDuration(); d != nil {
			e.Duration = d.AsDuration() // else ical.DefaultDuration
		}
	} else {
		d := it.GetDeadline()
		// A deadline is a moment: it ends the second it falls due.
		e.UID, e.Start, e.Duration = "deadline-"+d.GetId()+"@casebridge", d.GetDueTime().AsTime(), time.Second
	}
	return e
}
