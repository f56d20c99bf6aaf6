// Package bootstrap creates the first organisation of a fresh installation
// and its first org admin, who can then manage everything else through the
// API. Without it a production server would have nobody allowed to do
// anything.
//
// Bootstrapping a coordinating body also makes its admin the first network
// admin: the one who registers the other organisations and grants the
// network roles (coordinator, auditor), which nobody can grant through the
// API before a network admin exists.
package bootstrap

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/iso"
	"github.com/casebridge/casebridge/internal/keys"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Organization is what bootstrap creates.
type Organization struct {
	ID, Name, Country, Admin string
	Kind                     casebridgev1.OrganizationKind
}

var orgID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Validate says what is wrong with o, in words an operator can act on.
func (o Organization) Validate() error {
	switch {
	case !orgID.MatchString(o.ID):
		return fmt.Errorf("--org %q: 1-63 lower-case letters, digits and dashes", o.ID)
	case o.Name == "":
		return fmt.Errorf("--name is required")
	case o.Kind == casebridgev1.OrganizationKind_ORGANIZATION_KIND_UNSPECIFIED:
		return fmt.Errorf("--kind is required (shelter, legal_aid, cso, state_body, medical, coordinating_body)")
	case o.Country != "" && !iso.ValidCountry(o.Country):
		return fmt.Errorf("--country %q is not an ISO 3166-1 alpha-2 code", o.Country)
	case o.Admin == "":
		return fmt.Errorf("--admin (the token subject of the first org admin) is required")
	}
	return nil
}

// Create makes the organisation, its encryption key and its admin, in one
// transaction; for a coordinating body the admin is network admin as well.
// Running it again for an existing organisation only adds the admin's roles
// if missing: it is safe to repeat.
//
// The admin's roles are those that count in the organisation as it stands
// in the database (an existing organisation keeps its kind), so that a
// network admin is never written into an organisation where it would mean
// nothing.
func Create(ctx context.Context, pool *pgxpool.Pool, km *keys.Manager, o Organization) error {
	if err := o.Validate(); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO organizations (id, display_name, kind, country_code)
			VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`, o.ID, o.Name, int16(o.Kind), o.Country); err != nil {
			return fmt.Errorf("create organisation %s: %w", o.ID, err)
		}
		if _, err := km.EnsureOrgKey(ctx, tx, o.ID); err != nil {
			return fmt.Errorf("key of %s: %w", o.ID, err)
		}
		var kind int16
		if err := tx.QueryRow(ctx, `SELECT kind FROM organizations WHERE id = $1`, o.ID).Scan(&kind); err != nil {
			return fmt.Errorf("kind of %s: %w", o.ID, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO memberships (organization_id, subject, roles) VALUES ($1, $2, $3)
			ON CONFLICT (organization_id, subject) DO UPDATE
			SET roles = array(SELECT DISTINCT unnest(memberships.roles || $3::text[]))`,
			o.ID, o.Admin, AdminRoles(casebridgev1.OrganizationKind(kind))); err != nil {
			return fmt.Errorf("add admin of %s: %w", o.ID, err)
		}
		return nil
	})
}

// AdminRoles are the roles bootstrap gives the first admin of an
// organisation of kind: org admin, and network admin in a coordinating body.
func AdminRoles(kind casebridgev1.OrganizationKind) []string {
	if kind == authz.CoordinatingBody {
		return []string{authz.RoleOrgAdmin, authz.RoleNetworkAdmin}
	}
	return []string{authz.RoleOrgAdmin}
}

// ParseKind reads an organisation kind as written on a command line
// ("shelter", "legal_aid", "legal-aid", ...).
func ParseKind(s string) casebridgev1.OrganizationKind {
	name := "ORGANIZATION_KIND_" + strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
	return casebridgev1.OrganizationKind(casebridgev1.OrganizationKind_value[name])
}
