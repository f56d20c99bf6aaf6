package casectl

import (
	"io"
	"strings"
	"time"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/datetime"
	"github.com/casebridge/casebridge/internal/casectl/enumarg"
	"github.com/casebridge/casebridge/internal/casectl/money"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The helpers below read flag values and report a bad one as a usage error
// naming the flag, before anything is sent to the server.

func parseEnum[E enumarg.Enum](flagName, value string) (E, error) {
	v, err := enumarg.Parse[E](value)
	if err != nil {
		return v, cli.Usagef("%s: %v", flagName, err)
	}
	return v, nil
}

func parseEnums[E enumarg.Enum](flagName, value string) ([]E, error) {
	vs, err := enumarg.ParseList[E](value)
	if err != nil {
		return nil, cli.Usagef("%s: %v", flagName, err)
	}
	return vs, nil
}

func parseMoney(flagName, value string) (*casebridgev1.Money, error) {
	m, err := money.Parse(value)
	if err != nil {
		return nil, cli.Usagef("%s: %v", flagName, err)
	}
	return m, nil
}

func parseDate(flagName, value string, now time.Time) (string, error) {
	d, err := datetime.Date(value, now)
	if err != nil {
		return "", cli.Usagef("%s: %v", flagName, err)
	}
	return d, nil
}

// upper is how country and currency codes are sent: "rs" means RS.
func upper(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// textArg returns a free-text flag's value, reading it from standard input
// when the value is "-". Sensitive text (notes, hearing notes) is better
// piped or typed than put on the command line, where the shell history and
// the process list would keep it.
func (a *app) textArg(value string) (string, error) {
	if value != "-" {
		return value, nil
	}
	if a.env.StdinTerminal {
		a.say("Type the text, then Ctrl-D on an empty line:")
	}
	b, err := io.ReadAll(io.LimitReader(a.env.Stdin, 1<<20))
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
