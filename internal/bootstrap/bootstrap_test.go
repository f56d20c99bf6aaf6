package bootstrap

import (
	"context"
	"slices"
	"testing"

	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/testdb"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func TestCreateIsRepeatable(t *testing.T) {
	pool := testdb.New(t)
	keyring, err := vault.LoadKeyring(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	km := keys.NewManager(pool, keyring, nil, nil)
	t.Cleanup(km.Close)
	o := Organization{ID: "shelter-x", Name: "Shelter X", Kind: ParseKind("shelter"), Country: "AL", Admin: "alice@x"}
	ctx := context.Background()
	for range 2 {
		if err := Create(ctx, pool, km, o); err != nil {
			t.Fatal(err)
		}
	}
	var roles []string
	if err := pool.QueryRow(ctx, `SELECT roles FROM memberships WHERE organization_id = 'shelter-x' AND subject = 'alice@x'`).Scan(&roles); err != nil {
		t.Fatal(err)
	}
	if len(roles) != 1 || roles[0] != "org_admin" {
		t.Fatalf("roles %v", roles)
	}
	var active int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM organization_keys WHERE organization_id = 'shelter-x' AND state = 1`).Scan(&active); err != nil || active != 1 {
		t.Fatalf("active keys %d (%v)", active, err)
	}
	if len(keyring.IDs()) != 1 {
		t.Fatalf("keyring holds %d keys", len(keyring.IDs()))
	}
	for _, bad := range []Organization{
		{ID: "Bad", Name: "x", Kind: 1, Admin: "a"},
		{ID: "ok", Name: "x", Kind: ParseKind("nope"), Admin: "a"},
		{ID: "ok", Name: "x", Kind: 1, Country: "XX", Admin: "a"},
		{ID: "ok", Name: "x", Kind: 1},
	} {
		if err := Create(ctx, pool, km, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if ParseKind("legal-aid") != casebridgev1.OrganizationKind_ORGANIZATION_KIND_LEGAL_AID {
		t.Fatal("legal-aid")
	}
}

// Bootstrapping a coordinating body makes the first network admin; an
// ordinary organisation's admin never becomes one.
func TestCoordinatingBodyGetsTheFirstNetworkAdmin(t *testing.T) {
	pool := testdb.New(t)
	keyring, err := vault.LoadKeyring(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	km := keys.NewManager(pool, keyring, nil, nil)
	t.Cleanup(km.Close)
	ctx := context.Background()
	for _, o := range []Organization{
		{ID: "nrm", Name: "National Referral Mechanism", Kind: ParseKind("coordinating_body"), Admin: "root@nrm"},
		{ID: "shelter-x", Name: "Shelter X", Kind: ParseKind("shelter"), Admin: "root@nrm"},
	} {
		for range 2 {
			if err := Create(ctx, pool, km, o); err != nil {
				t.Fatal(err)
			}
		}
	}
	for org, want := range map[string][]string{"nrm": {"network_admin", "org_admin"}, "shelter-x": {"org_admin"}} {
		var roles []string
		if err := pool.QueryRow(ctx, `SELECT array(SELECT unnest(roles) ORDER BY 1) FROM memberships
			WHERE organization_id = $1 AND subject = 'root@nrm'`, org).Scan(&roles); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(roles, want) {
			t.Errorf("%s: roles %v, want %v", org, roles, want)
		}
	}
}
