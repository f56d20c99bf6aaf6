package stats_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// secondNetwork adds a second coordinating body over the same cases and
// makes coordinator one of its coordinators too.
func secondNetwork(t *testing.T, env *servertest.Env) {
	t.Helper()
	ctx := context.Background()
	if _, err := env.Pool.Exec(ctx, `INSERT INTO organizations (id, display_name, kind, country_code)
		SELECT 'network2', 'Second network', kind, country_code FROM organizations WHERE id = 'network'`); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Pool.Exec(ctx, `INSERT INTO memberships (organization_id, subject, roles)
		VALUES ('network2', $1, '{coordinator}')`, coordinator); err != nil {
		t.Fatal(err)
	}
}

// releasedAcrossNetworks asks four noisy tables, two through each network,
// and returns how many were released.
func releasedAcrossNetworks(t *testing.T, env *servertest.Env) int {
	t.Helper()
	st := client(env)
	c := env.As(t, coordinator)
	answered := 0
	for i, dims := range [][]casebridgev1.Dimension{{dSex}, {dYear}, {dAge}, {dChild}} {
		net := "network"
		if i >= 2 {
			net = "network2"
		}
		var err error
		for range 50 { // the membership reaches the policy cache by NOTIFY
			_, err = st.CountCases(c, &casebridgev1.CountCasesRequest{Dimensions: dims, Noisy: true, Network: net})
			if codeOf(err) != codes.InvalidArgument {
				break
			}
		}
		switch codeOf(err) {
		case codes.OK:
			answered++
		case codes.ResourceExhausted:
		default:
			t.Fatalf("%s via %s: %v", dims, net, err)
		}
	}
	return answered
}

// TestCoordinatorBudgetSpansNetworks: a coordinator of two coordinating
// bodies has one budget, not one in each: both bodies' tables count the
// same victims, so the coordinator's spending is added up over every
// network.
func TestCoordinatorBudgetSpansNetworks(t *testing.T) {
	env := servertest.Start(t, withBudget("1/2", "1", "1"))
	seedCases(t, env.Pool, 60, "a")
	secondNetwork(t, env)
	if n := releasedAcrossNetworks(t, env); n != 2 {
		t.Errorf("one coordinator released %d noisy tables of ε = 1/2 through two networks on a coordinator budget of ε = 1, want 2", n)
	}
	resp, err := client(env).GetPrivacyBudget(env.As(t, coordinator), &casebridgev1.GetPrivacyBudgetRequest{Network: "network2"})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetCoordinatorBudget().GetQueriesLeft(); got != 0 {
		t.Errorf("coordinator budget seen through network2: %d queries left, want 0 (spent through network)", got)
	}
}

// TestPopulationBudgetSpansNetworks: every noisy release is charged also
// against one budget of all networks together, so that adding a
// coordinating body does not add to what may be released about the same
// cases. Each network's own budget (ε = 1) and the coordinator's (ε = 10)
// would allow all four tables; the population's (ε = 1) allows two.
func TestPopulationBudgetSpansNetworks(t *testing.T) {
	env := servertest.Start(t, withBudget("1/2", "1", "10"), func(c *server.Config) { c.StatsBudgetPopulation = "1" })
	seedCases(t, env.Pool, 60, "a")
	secondNetwork(t, env)
	if n := releasedAcrossNetworks(t, env); n != 2 {
		t.Errorf("two networks released %d noisy tables of ε = 1/2 on a population budget of ε = 1, want 2", n)
	}
	resp, err := client(env).GetPrivacyBudget(env.As(t, coordinator), &casebridgev1.GetPrivacyBudgetRequest{Network: "network2"})
	if err != nil {
		t.Fatal(err)
	}
	if pb := resp.GetPopulationBudget(); pb.GetQueriesLeft() != 0 || pb.GetSpent().GetNumerator() != 1 || pb.GetSpent().GetDenominator() != 1 {
		t.Errorf("population budget = %v, want ε = 1 spent and no query left", pb)
	}
}
