// Package caseinfo loads what an authorization decision needs to know about
// a case — its owner and the organisations it is shared with by accepted
// referrals — for every service that works on cases.
package caseinfo

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/dataclass"
)

// Querier is a pool or a transaction (the same shape as keys.Querier, so
// services pass one value to both).
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Begin(ctx context.Context) (pgx.Tx, error)
}

// ErrNoCase means no case has that id.
var ErrNoCase = errors.New("no such case")

const query = `
SELECT c.organization_id, r.to_organization, r.classes
FROM cases c
LEFT JOIN referrals r ON r.case_id = c.id AND r.status = 2
WHERE c.id = $1`

// Load returns the owner and shares of case id. With lock it also locks the
// case row (FOR UPDATE OF c) so the caller's transaction sees no concurrent change.
func Load(ctx context.Context, q Querier, id string, lock bool) (authz.CaseInfo, error) {
	sql := query
	if lock {
		// A LEFT JOIN cannot lock the nullable side; lock the case row first.
		if _, err := q.Exec(ctx, "SELECT 1 FROM cases WHERE id = $1 FOR UPDATE", id); err != nil {
			return authz.CaseInfo{}, fmt.Errorf("lock case %s: %w", id, err)
		}
	}
	rows, err := q.Query(ctx, sql, id)
	if err != nil {
		return authz.CaseInfo{}, fmt.Errorf("load access of case %s: %w", id, err)
	}
	defer rows.Close()
	var info authz.CaseInfo
	found := false
	for rows.Next() {
		var owner string
		var to *string
		var classes []int16
		if err := rows.Scan(&owner, &to, &classes); err != nil {
			return authz.CaseInfo{}, fmt.Errorf("scan access of case %s: %w", id, err)
		}
		found = true
		info.OwnerOrg = owner
		if to != nil {
			info.Shares = append(info.Shares, authz.Share{Org: *to, Classes: dataclass.Names(classes)})
		}
	}
	if err := rows.Err(); err != nil {
		return authz.CaseInfo{}, fmt.Errorf("load access of case %s: %w", id, err)
	}
	if !found {
		return authz.CaseInfo{}, ErrNoCase
	}
	return info, nil
}

// LoadMany is Load for several cases in one query (a page of a list).
// Cases that do not exist are absent from the result.
func LoadMany(ctx context.Context, q Querier, ids []string) (map[string]authz.CaseInfo, error) {
	rows, err := q.Query(ctx, `
		SELECT c.id::text, c.organization_id, r.to_organization, r.classes
		FROM cases c
		LEFT JOIN referrals r ON r.case_id = c.id AND r.status = 2
		WHERE c.id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("load access of %d cases: %w", len(ids), err)
	}
	defer rows.Close()
	out := make(map[string]authz.CaseInfo, len(ids))
	for rows.Next() {
		var id, owner string
		var to *string
		var classes []int16
		if err := rows.Scan(&id, &owner, &to, &classes); err != nil {
			return nil, fmt.Errorf("scan access of case %s: %w", id, err)
		}
		info := out[id]
		info.OwnerOrg = owner
		if to != nil {
			info.Shares = append(info.Shares, authz.Share{Org: *to, Classes: dataclass.Names(classes)})
		}
		out[id] = info
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load access of %d cases: %w", len(ids), err)
	}
	return out, nil
}
