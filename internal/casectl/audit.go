package casectl

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/datetime"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func (a *app) auditCommand() *cli.Command {
	return &cli.Command{
		Name:    "audit",
		Summary: "who read or changed which case, and proof the log is intact (auditors)",
		Help: `The audit log records every call that read or changed data — who, what and
which data classes, never the data itself — chained by hashes so that an
alteration shows. Auditors list it and verify the chain.`,
		Examples: []string{
			"casectl audit list --case 0b6f0c1e-3d2a-4c59-9a51-6d1f3f0f7b2e",
			"casectl audit list --subject lawyer@legal-b --since 2026-11-01",
			"casectl audit verify",
		},
		Sub: []*cli.Command{a.auditListCommand(), a.auditVerifyCommand()},
	}
}

var eventColumnsAudit = []output.Column[*casebridgev1.AuditEvent]{
	output.Col("seq", func(e *casebridgev1.AuditEvent) string { return itoa(e.GetSequence()) }),
	output.Col("time", func(e *casebridgev1.AuditEvent) string { return datetime.Local(e.GetEventTime()) }),
	output.Col("subject", (*casebridgev1.AuditEvent).GetSubject),
	output.Col("organisation", (*casebridgev1.AuditEvent).GetOrganizationId),
	output.Col("call", func(e *casebridgev1.AuditEvent) string { return shortMethod(e.GetMethod()) }),
	output.Col("case", (*casebridgev1.AuditEvent).GetCaseId),
	output.Col("classes", func(e *casebridgev1.AuditEvent) string { return enumNames(e.GetClasses()) }),
	output.Col("result", (*casebridgev1.AuditEvent).GetResultCode),
	output.Col("details", func(e *casebridgev1.AuditEvent) string { return strings.Join(e.GetDetails(), " ") }),
	output.ScriptCol("roles", func(e *casebridgev1.AuditEvent) string { return enumNames(e.GetRoles()) }),
	output.ScriptCol("request_id", (*casebridgev1.AuditEvent).GetRequestId),
	output.ScriptCol("hash", func(e *casebridgev1.AuditEvent) string { return hex.EncodeToString(e.GetHash()) }),
}

// shortMethod drops the package from a full method name:
// "/casebridge.v1.CaseService/GetCase" → "CaseService/GetCase".
func shortMethod(m string) string {
	return strings.TrimPrefix(strings.TrimPrefix(m, "/"), "casebridge.v1.")
}

func (a *app) auditListCommand() *cli.Command {
	var caseRef, subject, org, since, until string
	var limit int
	return &cli.Command{
		Name:    "list",
		Summary: "list audit events, oldest first",
		Help: `List audit events in chain order, filtered by case, caller, organisation and
time. An auditor may not read cases, so --case takes the case id; a
reference works only for someone who can look the case up.`,
		Examples: []string{
			"casectl audit list --case 0b6f0c1e-3d2a-4c59-9a51-6d1f3f0f7b2e",
			"casectl audit list --subject caseworker@shelter-a --since 2026-11-01 --until 2026-12-01",
			"casectl audit list --org legal-b --output csv --limit 10000",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&caseRef, "case", "", "only events about this case (`id`)")
			fs.StringVar(&subject, "subject", "", "only calls by this `subject`")
			fs.StringVar(&org, "org", "", "only calls made for this organisation")
			fs.StringVar(&since, "since", "", "only events on or after this `date` (YYYY-MM-DD)")
			fs.StringVar(&until, "until", "", "only events before this `date` (YYYY-MM-DD)")
			limitFlag(fs, &limit)
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, _ []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			req := &casebridgev1.ListEventsRequest{Subject: subject, OrganizationId: org}
			if req.StartTime, err = dayFlag("--since", since); err != nil {
				return err
			}
			if req.EndTime, err = dayFlag("--until", until); err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			if caseRef != "" {
				if req.CaseId, err = auditCaseID(ctx, c, caseRef); err != nil {
					return err
				}
			}
			events, more, err := collect(ctx, limit, func(ctx context.Context, token string, size int32) ([]*casebridgev1.AuditEvent, string, error) {
				req.PageToken, req.PageSize = token, size
				resp, err := c.audit.ListEvents(ctx, req)
				return resp.GetEvents(), resp.GetNextPageToken(), err
			})
			if status.Code(err) == codes.FailedPrecondition {
				// A page token of another history: the audit log was
				// restored from an earlier backup while listing.
				return fmt.Errorf("list audit events: the audit log changed while listing (%s).\nStart over: run the command again", status.Convert(err).Message())
			}
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "list audit events"), map[string]string{
					"case_id": "--case", "subject": "--subject", "organization_id": "--org",
					"start_time": "--since", "end_time": "--until",
				})
			}
			a.noteMore(more, limit)
			return output.List(a.stdout(), f, events, eventColumnsAudit)
		},
	}
}

// auditCaseID takes a case id as it is; a reference only resolves for a
// caller who may list cases, which an auditor may not.
func auditCaseID(ctx context.Context, c *clients, ref string) (string, error) {
	id, err := caseID(ctx, c, ref)
	if status.Code(err) == codes.PermissionDenied {
		return "", cli.Usagef("--case: your role cannot look up case references; give the case id (its organisation sees it with 'casectl cases show %s')", ref)
	}
	return id, err
}

// dayFlag reads a date flag as the start of that day, local time.
func dayFlag(name, value string) (*timestamppb.Timestamp, error) {
	if value == "" {
		return nil, nil
	}
	d, err := time.ParseInLocation("2006-01-02", value, time.Local)
	if err != nil {
		return nil, cli.Usagef("%s: %q is not a date: write YYYY-MM-DD", name, value)
	}
	return timestamppb.New(d), nil
}

func (a *app) auditVerifyCommand() *cli.Command {
	var from, to int64
	var previousHex string
	return &cli.Command{
		Name:    "verify",
		Summary: "recompute the hash chain and report where it breaks",
		Help: `Recompute the audit log's hash chain over a range of sequence numbers (all of
it by default) and report the first event where it breaks; the exit status
is 1 if it does. The last sequence and hash are printed: record them
outside Casebridge, and a later check that finds a different hash there
proves tampering.`,
		Examples: []string{
			"casectl audit verify",
			"casectl audit verify --from 1000 --to 2000 --output json",
			"casectl audit verify --from 1001 --previous-hash HASH_PRINTED_FOR_1000",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.Int64Var(&from, "from", 0, "first sequence to check (0: the first event)")
			fs.Int64Var(&to, "to", 0, "last sequence to check (0: the latest event)")
			fs.StringVar(&previousHex, "previous-hash", "", "the `hash` you recorded for sequence --from minus 1: refused unless the log still holds it there")
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
			var previous []byte
			if previousHex != "" {
				if previous, err = hex.DecodeString(previousHex); err != nil || len(previous) != 32 {
					return cli.Usagef("--previous-hash: write the 64 hexadecimal digits of a hash 'audit verify' printed")
				}
			}
			total, err := verifyChain(ctx, c, from, to, previous)
			if status.Code(err) == codes.FailedPrecondition {
				return fmt.Errorf("verify the audit log: %s.\nStart over: run 'casectl audit verify' without --from and --previous-hash, "+
					"and compare the hashes it prints with the ones you recorded", status.Convert(err).Message())
			}
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "verify the audit log"), map[string]string{"from_sequence": "--from", "to_sequence": "--to"})
			}
			if err := a.printVerify(f, total); err != nil {
				return err
			}
			if !total.GetIntact() {
				return fmt.Errorf("the audit log is NOT intact: event %d: %s", total.GetFirstBrokenSequence(), total.GetReason())
			}
			return nil
		},
	}
}

// verifyChain calls VerifyChain until the range is done (the server stops
// early when the call's deadline nears) and sums the result.
func verifyChain(ctx context.Context, c *clients, from, to int64, previous []byte) (*casebridgev1.VerifyChainResponse, error) {
	total := &casebridgev1.VerifyChainResponse{Intact: true}
	for {
		resp, err := c.audit.VerifyChain(ctx, &casebridgev1.VerifyChainRequest{FromSequence: from, ToSequence: to, PreviousHash: previous})
		if err != nil {
			return nil, err
		}
		total.EventsChecked += resp.GetEventsChecked()
		if resp.GetLastSequence() != 0 {
			total.LastSequence, total.LastHash = resp.GetLastSequence(), resp.GetLastHash()
		}
		if !resp.GetIntact() {
			total.Intact, total.FirstBrokenSequence, total.Reason = false, resp.GetFirstBrokenSequence(), resp.GetReason()
			return total, nil
		}
		if resp.GetNextFromSequence() == 0 || resp.GetNextFromSequence() <= from {
			return total, nil
		}
		// Go on from where the server stopped, proving each part follows
		// the one checked before (a restore between two calls is caught).
		from, previous = resp.GetNextFromSequence(), nil
		if resp.GetLastSequence() == from-1 {
			previous = resp.GetLastHash()
		}
	}
}

func (a *app) printVerify(f output.Format, r *casebridgev1.VerifyChainResponse) error {
	if f == output.JSON {
		return output.JSONObject(a.stdout(), r)
	}
	intact := "yes"
	if !r.GetIntact() {
		intact = "NO"
	}
	rows := [][]string{{intact, itoa(r.GetEventsChecked()), nonZero(r.GetFirstBrokenSequence()), r.GetReason(),
		itoa(r.GetLastSequence()), hex.EncodeToString(r.GetLastHash())}}
	headers := []string{"intact", "events_checked", "first_broken", "reason", "last_sequence", "last_hash"}
	if f == output.CSV {
		return output.WriteCSV(a.stdout(), headers, rows)
	}
	return output.One(a.stdout(), output.Table, r, []output.Column[*casebridgev1.VerifyChainResponse]{
		output.Col("Intact", func(*casebridgev1.VerifyChainResponse) string { return intact }),
		output.Col("Events checked", func(v *casebridgev1.VerifyChainResponse) string { return itoa(v.GetEventsChecked()) }),
		output.Col("First broken", func(v *casebridgev1.VerifyChainResponse) string { return nonZero(v.GetFirstBrokenSequence()) }),
		output.Col("Reason", (*casebridgev1.VerifyChainResponse).GetReason),
		output.Col("Last sequence", func(v *casebridgev1.VerifyChainResponse) string { return nonZero(v.GetLastSequence()) }),
		output.Col("Last hash", func(v *casebridgev1.VerifyChainResponse) string { return hex.EncodeToString(v.GetLastHash()) }),
	})
}
