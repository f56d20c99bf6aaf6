package casectl

import (
	"context"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) notesCommand() *cli.Command {
	return &cli.Command{
		Name:    "notes",
		Summary: "add and read dated notes on a case",
		Help: `Notes are dated entries on a case, each in one data class (identity, contact,
care or legal) and encrypted like that class: whoever may not read the
class does not see the note.`,
		Examples: []string{
			"casectl notes add SHA-2026-0001 --class care --text -",
			"casectl notes list SHA-2026-0001",
		},
		Sub: []*cli.Command{a.notesAddCommand(), a.notesListCommand()},
	}
}

func (a *app) notesAddCommand() *cli.Command {
	var class, text string
	return &cli.Command{
		Name:    "add",
		Args:    "REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "add a note to a case",
		Help: `Add a note in one data class. Without --text (or with --text -) the note is
read from standard input: sensitive text typed on the command line would
stay in the shell history.`,
		Examples: []string{
			"casectl notes add SHA-2026-0001 --class care    # then type the note, Ctrl-D to end",
			"echo 'first psychosocial session held' | casectl notes add SHA-2026-0001 --class care",
			"casectl notes add SHA-2026-0001 --class legal --text 'statement given to the prosecutor'",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&class, "class", "", "data `class` of the note: "+choices[casebridgev1.DataClass]()+" (required)")
			fs.StringVar(&text, "text", "-", "the note, or - to read it from standard input")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			if class == "" {
				return cli.Usagef("--class is required: %s", choices[casebridgev1.DataClass]())
			}
			dc, err := parseEnum[casebridgev1.DataClass]("--class", class)
			if err != nil {
				return err
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			body, err := a.textArg(text)
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := caseID(ctx, c, args[0])
			if err != nil {
				return err
			}
			resp, err := c.cases.AddNote(ctx, &casebridgev1.AddNoteRequest{CaseId: id, DataClass: dc, Text: body})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "add note to %s", args[0]), map[string]string{"text": "--text", "data_class": "--class"})
			}
			a.say("Note added to %s.", args[0])
			return output.One(a.stdout(), f, resp.GetNote(), noteColumns)
		},
	}
}

func (a *app) notesListCommand() *cli.Command {
	var class string
	var limit int
	return &cli.Command{
		Name:    "list",
		Args:    "REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "list the notes you may read, newest first",
		Examples: []string{
			"casectl notes list SHA-2026-0001",
			"casectl notes list SHA-2026-0001 --class legal --output json",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&class, "class", "", "only notes of this data `class`")
			limitFlag(fs, &limit)
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			req := &casebridgev1.ListNotesRequest{}
			if class != "" {
				if req.DataClass, err = parseEnum[casebridgev1.DataClass]("--class", class); err != nil {
					return err
				}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			if req.CaseId, err = caseID(ctx, c, args[0]); err != nil {
				return err
			}
			var redacted []casebridgev1.DataClass
			notes, more, err := collect(ctx, limit, func(ctx context.Context, token string, size int32) ([]*casebridgev1.Note, string, error) {
				req.PageToken, req.PageSize = token, size
				resp, err := c.cases.ListNotes(ctx, req)
				redacted = resp.GetRedactedClasses()
				return resp.GetNotes(), resp.GetNextPageToken(), err
			})
			if err != nil {
				return explain.Wrap(err, "notes of %s", args[0])
			}
			a.noteMore(more, limit)
			if len(redacted) > 0 {
				a.say("(notes in %s are not shown: you may not read them)", enumNames(redacted))
			}
			return output.List(a.stdout(), f, notes, noteColumns)
		},
	}
}
