// Package devworld seeds the demo world of dev mode into an empty database:
// a few organisations of the region and one user per role, so that a
// newcomer can try every flow on a laptop. It never touches a database that
// already has organisations.
package devworld

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Organization is a demo organisation.
type Organization struct {
	ID, Name, Country, Prefix string
	Kind                      int // casebridge.v1.OrganizationKind
}

// Member is a demo user and the roles they hold in one organisation.
type Member struct {
	Org, Subject string
	Roles        []string
}

// Organizations are the demo organisations.
var Organizations = []Organization{
	{ID: "shelter-a", Name: "Shelter A", Kind: 1, Country: "RS", Prefix: "SHA"},
	{ID: "legal-b", Name: "Legal Aid B", Kind: 2, Country: "RS", Prefix: "LEB"},
	{ID: "cso-c", Name: "CSO C", Kind: 3, Country: "MK", Prefix: "CSC"},
	{ID: "network", Name: "Regional Monitoring Network", Kind: 6, Country: "", Prefix: "NET"},
}

// Members are the demo users; their subject is the `sub` of dev tokens.
var Members = []Member{
	{Org: "shelter-a", Subject: "caseworker@shelter-a", Roles: []string{"caseworker"}},
	{Org: "shelter-a", Subject: "supervisor@shelter-a", Roles: []string{"supervisor"}},
	{Org: "shelter-a", Subject: "admin@shelter-a", Roles: []string{"org_admin"}},
	{Org: "legal-b", Subject: "lawyer@legal-b", Roles: []string{"lawyer"}},
	{Org: "cso-c", Subject: "caseworker@cso-c", Roles: []string{"caseworker"}},
	{Org: "network", Subject: "coordinator@network", Roles: []string{"coordinator"}},
	{Org: "network", Subject: "auditor@network", Roles: []string{"auditor"}},
	{Org: "network", Subject: "admin@network", Roles: []string{"org_admin", "network_admin"}},
}

// KeyEnsurer gives an organisation an active encryption key inside tx.
type KeyEnsurer func(ctx context.Context, tx pgx.Tx, orgID string) error

// Seed inserts the demo world if the database has no organisation yet. It
// reports whether it did.
func Seed(ctx context.Context, pool *pgxpool.Pool, ensureKey KeyEnsurer) (bool, error) {
	seeded := false
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Two dev servers starting at once must not both seed.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(4242)"); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM organizations").Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		for _, o := range Organizations {
			if _, err := tx.Exec(ctx, `INSERT INTO organizations (id, display_name, kind, country_code, reference_prefix)
				VALUES ($1, $2, $3, $4, $5)`, o.ID, o.Name, o.Kind, o.Country, o.Prefix); err != nil {
				return fmt.Errorf("insert organization %s: %w", o.ID, err)
			}
			if err := ensureKey(ctx, tx, o.ID); err != nil {
				return fmt.Errorf("key for %s: %w", o.ID, err)
			}
		}
		for _, m := range Members {
			if _, err := tx.Exec(ctx, `INSERT INTO memberships (organization_id, subject, roles, display_name)
				VALUES ($1, $2, $3, $2)`, m.Org, m.Subject, m.Roles); err != nil {
				return fmt.Errorf("insert member %s: %w", m.Subject, err)
			}
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seed demo world: %w", err)
	}
	return seeded, nil
}
