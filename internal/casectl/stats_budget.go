package casectl

import (
	"context"
	"fmt"
	"strconv"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) statsBudgetCommand() *cli.Command {
	var network string
	return &cli.Command{
		Name:    "budget",
		Summary: "what is left of the privacy budget for noisy counts",
		Help: `Show the privacy budget of noisy counts (casectl stats cases --noisy) for
this period: what one noisy query spends, what all networks together
(they count the same cases), your network and you (in every network) have
spent and have left, and when the budget is whole again. Exact counts
spend nothing.`,
		Examples: []string{"casectl stats budget", "casectl stats budget --network network"},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&network, "network", "", "the network whose budget to show (only if you coordinate several)")
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
			resp, err := c.stats.GetPrivacyBudget(ctx, &casebridgev1.GetPrivacyBudgetRequest{Network: network})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "show the privacy budget"), map[string]string{"network": "--network"})
			}
			if f == output.JSON {
				return output.JSONObject(a.stdout(), resp)
			}
			headers := []string{"budget", "total ε", "spent", "left", "noisy queries left"}
			var rows [][]string
			for _, b := range []struct {
				name string
				pb   *casebridgev1.PrivacyBudget
			}{{"all networks", resp.GetPopulationBudget()}, {"network " + resp.GetNetwork(), resp.GetNetworkBudget()}, {"you", resp.GetCoordinatorBudget()}} {
				rows = append(rows, []string{b.name, fractionText(b.pb.GetTotal()), fractionText(b.pb.GetSpent()),
					fractionText(b.pb.GetRemaining()), strconv.FormatInt(b.pb.GetQueriesLeft(), 10)})
			}
			if f == output.CSV {
				return output.WriteCSV(a.stdout(), headers, rows)
			}
			a.say("Each noisy query spends ε = %s. This period began %s; the budget is whole again on %s.",
				fractionText(resp.GetQueryEpsilon()), resp.GetPeriodStartDate(), resp.GetNextPeriodStartDate())
			return output.WriteTable(a.stdout(), headers, rows)
		},
	}
}

// fractionText writes a fraction as "1/2", or "2" when whole.
func fractionText(f *casebridgev1.Fraction) string {
	if f.GetDenominator() == 1 || f.GetNumerator() == 0 {
		return strconv.FormatInt(f.GetNumerator(), 10)
	}
	return fmt.Sprintf("%d/%d", f.GetNumerator(), f.GetDenominator())
}

// noisyNote tells the reader of a noisy table how it was made.
func noisyNote(r *casebridgev1.Release) string {
	note := fmt.Sprintf("Noisy counts (differential privacy, ε = %s): each count has random noise added (discrete Laplace, scale %d/ε), so small differences mean nothing; combinations not listed came out 0.",
		fractionText(r.GetEpsilon()), r.GetSensitivity())
	if r.GetRepeated() {
		note += " The same answer as before: no case changed since, and no budget was spent."
	}
	return note
}
