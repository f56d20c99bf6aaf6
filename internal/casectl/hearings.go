package casectl

import (
	"context"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/datetime"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func (a *app) hearingsCommand() *cli.Command {
	return &cli.Command{
		Name:    "hearings",
		Summary: "schedule and list hearings of a proceeding (lawyers)",
		Help: `Hearings are the court sessions of a proceeding. Times are typed and shown in
the court's time zone (the proceeding's --tz) and stored in UTC. A postponed
hearing keeps its date; the new date is added as a new hearing, so that
postponements can be counted.`,
		Examples: []string{
			"casectl hearings add SHA-2026-0001 --at '2026-12-01 09:30' --type main",
			"casectl hearings list SHA-2026-0001",
		},
		Sub: []*cli.Command{a.hearingsAddCommand(), a.hearingsListCommand()},
	}
}

func (a *app) hearingsAddCommand() *cli.Command {
	var at, tz, typ, status, outcome, notes string
	var length time.Duration
	return &cli.Command{
		Name:    "add",
		Args:    "PROCEEDING",
		MinArgs: 1, MaxArgs: 1,
		Summary: "schedule a hearing (or record a past one)",
		Help: `Add a hearing to a proceeding. --at is the wall-clock time at the court
("2026-12-01 09:30", in the proceeding's time zone unless --tz says
otherwise) or an RFC 3339 time with offset; a time in the past is refused
unless the hearing is recorded as held or postponed, and a wall-clock time
that daylight saving skips at the court (02:30 on the night the clocks go
forward) is refused rather than moved. --duration is how long the court
expects it to last (5m to 12h); without it calendars block 2 hours.
--notes are the lawyer's notes, encrypted in the legal class; "-" reads
them from standard input.`,
		Examples: []string{
			"casectl hearings add SHA-2026-0001 --at '2026-12-01 09:30' --type main",
			"casectl hearings add SHA-2026-0001 --at '2026-12-03 13:00' --type main --duration 90m",
			"casectl hearings add 9a51c1e6-3d2a-4c59-0b6f-6d1f3f0f7b2e --at 2026-09-14T10:00:00+02:00 --type preliminary --status held --outcome 'adjourned for expert witness'",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&at, "at", "", "when it starts: 'YYYY-MM-DD HH:MM' at the court, or RFC 3339 (required)")
			fs.StringVar(&tz, "tz", "", "time `zone` of --at and of the display, if not the proceeding's")
			fs.StringVar(&typ, "type", "", "what for: "+choices[casebridgev1.HearingType]()+" (required)")
			fs.StringVar(&status, "status", "", "scheduled (default), held or postponed, to record a past hearing")
			fs.StringVar(&outcome, "outcome", "", "short public result (plain text, no victim data)")
			fs.DurationVar(&length, "duration", 0, "how long the court expects it to last, e.g. 90m or 3h (default: not said; calendars block 2h)")
			fs.StringVar(&notes, "notes", "", "lawyer's notes (legal class, encrypted); - reads standard input")
		},
		Run: func(ctx context.Context, fs *pflag.FlagSet, args []string) error {
			if at == "" || typ == "" {
				return cli.Usagef("--at and --type are required, e.g. --at '2026-12-01 09:30' --type main")
			}
			h := &casebridgev1.Hearing{CourtTimeZone: tz, Outcome: outcome}
			if cli.Set(fs, "duration") {
				if length < 5*time.Minute || length > 12*time.Hour {
					return cli.Usagef("--duration: give 5m to 12h, e.g. --duration 90m")
				}
				h.ExpectedDuration = durationpb.New(length)
			}
			var err error
			if h.Type, err = parseEnum[casebridgev1.HearingType]("--type", typ); err != nil {
				return err
			}
			if status != "" {
				if h.Status, err = parseEnum[casebridgev1.HearingStatus]("--status", status); err != nil {
					return err
				}
			}
			if h.Notes, err = a.optionalText(notes); err != nil {
				return err
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			p, err := getProceeding(ctx, c, args[0])
			if err != nil {
				return err
			}
			loc, err := datetime.Zone(firstNonEmpty(tz, p.GetCourtTimeZone()))
			if err != nil {
				return cli.Usagef("--tz: %v", err)
			}
			start, err := datetime.Time(at, loc)
			if err != nil {
				return cli.Usagef("--at: %v", err)
			}
			if start.Before(a.env.Now()) && (h.Status == casebridgev1.HearingStatus_HEARING_STATUS_UNSPECIFIED || h.Status == casebridgev1.HearingStatus_HEARING_STATUS_SCHEDULED) {
				return cli.Usagef("--at: %s is in the past, so it cannot be scheduled: to record a hearing that took place, add --status held (or postponed)", at)
			}
			h.StartTime = timestamppb.New(start)
			resp, err := c.proceedings.AddHearing(ctx, &casebridgev1.AddHearingRequest{ProceedingId: p.GetId(), Hearing: h})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "add hearing to %s", args[0]), map[string]string{
					"hearing.start_time": "--at", "hearing.court_time_zone": "--tz", "hearing.type": "--type",
					"hearing.status": "--status", "hearing.outcome": "--outcome", "hearing.notes": "--notes",
					"hearing.expected_duration": "--duration",
				})
			}
			added := resp.GetHearing()
			a.say("Hearing added: %s.", datetime.In(added.GetStartTime(), added.GetCourtTimeZone()))
			return output.One(a.stdout(), f, added, hearingDetail)
		},
	}
}

// optionalText is textArg for a flag that may be left empty.
func (a *app) optionalText(value string) (string, error) {
	if value == "" {
		return "", nil
	}
	return a.textArg(value)
}

func (a *app) hearingsListCommand() *cli.Command {
	var status string
	var withNotes bool
	var limit int
	return &cli.Command{
		Name:    "list",
		Args:    "PROCEEDING|REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "list hearings of a proceeding or of every proceeding of a case",
		Help: `List hearings, earliest first: of one proceeding (its id), or of all the
proceedings of a case (its reference). --notes also decrypts the lawyer's
notes, when you may read the legal class; that read is audited.`,
		Examples: []string{
			"casectl hearings list SHA-2026-0001",
			"casectl hearings list 9a51c1e6-3d2a-4c59-0b6f-6d1f3f0f7b2e --status scheduled",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&status, "status", "", "only hearings in this `status`: "+choices[casebridgev1.HearingStatus]())
			fs.BoolVar(&withNotes, "notes", false, "include the lawyer's notes")
			limitFlag(fs, &limit)
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			req := &casebridgev1.ListHearingsRequest{View: casebridgev1.HearingView_HEARING_VIEW_BASIC}
			if withNotes {
				req.View = casebridgev1.HearingView_HEARING_VIEW_FULL
			}
			if status != "" {
				if req.Status, err = parseEnum[casebridgev1.HearingStatus]("--status", status); err != nil {
					return err
				}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			if isID(args[0]) {
				req.ProceedingId = args[0]
			} else if req.CaseId, err = caseID(ctx, c, args[0]); err != nil {
				return err
			}
			hs, more, err := collect(ctx, limit, func(ctx context.Context, token string, size int32) ([]*casebridgev1.Hearing, string, error) {
				req.PageToken, req.PageSize = token, size
				resp, err := c.proceedings.ListHearings(ctx, req)
				return resp.GetHearings(), resp.GetNextPageToken(), err
			})
			if err != nil {
				return explain.Wrap(err, "hearings of %s", args[0])
			}
			a.noteMore(more, limit)
			cols := hearingColumns
			if withNotes {
				cols = append(cols[:len(cols):len(cols)], output.Col("notes", (*casebridgev1.Hearing).GetNotes))
			}
			return output.List(a.stdout(), f, hs, cols)
		},
	}
}
