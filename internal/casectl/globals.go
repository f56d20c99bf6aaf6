package casectl

import (
	"time"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/output"
	"github.com/spf13/pflag"
)

// globals are the flags every command accepts.
type globals struct {
	server  string
	output  string
	timeout time.Duration
}

func (g *globals) register(fs *pflag.FlagSet) {
	fs.StringVar(&g.server, "server", "", "casebridged `address` (host:port), instead of the one saved by login")
	fs.StringVarP(&g.output, "output", "o", "table", "output `format`: table, json or csv")
	fs.DurationVar(&g.timeout, "timeout", 30*time.Second, "how long to wait for each answer from the server")
}

// format is the parsed --output.
func (g *globals) format() (output.Format, error) {
	f, err := output.ParseFormat(g.output)
	if err != nil {
		return f, cli.Usagef("--output: %v", err)
	}
	return f, nil
}
