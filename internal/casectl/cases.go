package casectl

import "github.com/casebridge/casebridge/internal/casectl/cli"

func (a *app) casesCommand() *cli.Command {
	return &cli.Command{
		Name:    "cases",
		Summary: "open, find, read, change, close and erase cases",
		Help: `Work with the cases of your organisation, and read those another
organisation shared with yours through an accepted referral (only the data
classes it shares). A case you may not see is "not found": whether it exists
is itself protected.

REF is a case reference such as SHA-2026-0001, or a case id.`,
		Examples: []string{
			"casectl cases new",
			"casectl cases list --status open",
			"casectl cases show SHA-2026-0001",
			"casectl cases update SHA-2026-0001 --phone '+381 60 000 0000'",
			"casectl cases close SHA-2026-0001 --reason 'assistance completed'",
		},
		Sub: []*cli.Command{
			a.casesNewCommand(),
			a.casesListCommand(),
			a.casesShowCommand(),
			a.casesUpdateCommand(),
			a.casesAssignCommand(),
			a.casesCloseCommand(),
			a.casesReopenCommand(),
			a.casesEraseCommand(),
			a.casesSharingCommand(),
		},
	}
}
