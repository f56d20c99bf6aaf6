package caseaccess

import (
	"context"
	"fmt"
	"slices"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
)

// IsLawyer reports whether p holds the lawyer role (authz.RoleLawyer) in
// org: the one role checked by name outside the policy, because a
// proceeding names its responsible lawyer and the server checks that the
// person named is one.
func IsLawyer(p authz.Principal, org string) bool {
	return slices.Contains(p.Memberships[org], authz.RoleLawyer)
}

// CheckLawyer checks that subject holds the lawyer role in an organisation
// doing legal work on case caseID (LegalSQL); field names the request field
// for the InvalidArgument it returns otherwise. An empty subject passes.
func CheckLawyer(ctx context.Context, q db.Querier, field, caseID, subject string) error {
	if subject == "" {
		return nil
	}
	var ok bool
	err := q.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM memberships m JOIN cases c ON c.id = $2
			WHERE m.subject = $1 AND $3 = ANY(m.roles) AND `+LegalSQL("c", "ARRAY[m.organization_id]")+`)`,
		subject, caseID, authz.RoleLawyer).Scan(&ok)
	if err != nil {
		return fmt.Errorf("look up lawyer %s: %w", subject, err)
	}
	if !ok {
		return rpcerr.InvalidArgument(field, "%s is not a lawyer of an organisation doing legal work on case %s", subject, caseID)
	}
	return nil
}
