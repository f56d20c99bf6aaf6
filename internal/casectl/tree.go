package casectl

import "github.com/casebridge/casebridge/internal/casectl/cli"

// root is the whole command tree.
func (a *app) root() *cli.Command {
	return &cli.Command{
		Name: "casectl",
		Help: `casectl is the command-line client of Casebridge: open and follow the cases
of the people your organisation supports, record their consent, refer them
to other organisations, track court proceedings and compensation, and read
anonymised statistics and the audit log — each as far as your role allows.

A case is named by its reference (SHA-2026-0001) or its id. Results are
tables; --output json or csv gives them to scripts. Exit status: 0 done,
1 refused or failed, 2 wrong command line.`,
		Examples: []string{
			"casectl login --dev --as caseworker@shelter-a",
			"casectl cases new",
			"casectl consent add SHA-2026-0001 --purpose legal-representation --to legal-b",
			"casectl refer SHA-2026-0001 --to legal-b --service legal --classes identity,legal",
			"casectl referrals watch",
			"casectl upcoming --days 30 --ics hearings.ics",
			"casectl stats cases --by year,country,sex --csv",
		},
		Sub: []*cli.Command{
			a.loginCommand(),
			a.logoutCommand(),
			a.whoamiCommand(),
			a.orgsCommand(),
			a.casesCommand(),
			a.notesCommand(),
			a.docsCommand(),
			a.tasksCommand(),
			a.consentCommand(),
			a.importCommand(),
			a.referCommand(),
			a.referralsCommand(),
			a.planCommand(),
			a.servicesCommand(),
			a.approvalsCommand(),
			a.transferCommand(),
			a.proceedingsCommand(),
			a.hearingsCommand(),
			a.upcomingCommand(),
			a.claimsCommand(),
			a.paymentsCommand(),
			a.statsCommand(),
			a.auditCommand(),
		},
	}
}
