package caseaccess

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/referral"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Facts is what an access decision needs to know about a case.
type Facts struct {
	// ID is the case id.
	ID string
	// Owner is the organisation that owns the case.
	Owner string
	// Erased is true once the case was erased.
	Erased bool
	// Status is where the case is in its lifecycle.
	Status casebridgev1.CaseStatus
	// Shares are the organisations the case is shared with: the receivers
	// of its accepted referrals, and the former owners that follow it.
	Shares []Share
	// Closure is what a closure needs to know about a supervisor's
	// approval; Transit loads it for a closure (the zero value: none needed).
	Closure ClosureApproval
}

// Share is an accepted referral — the receiving organisation, the data
// classes it grants and the service it was made for — or, with Follows, an
// organisation that transferred the case away and, under the person's
// follow-up consent, keeps seeing its status: no class, no service, and
// only what the follow-up ceiling (authz.FollowUpCeiling) allows.
type Share struct {
	Org     string
	Classes []dataclass.Class
	Service casebridgev1.ServiceKind
	Follows bool
}

// Info is the facts as the policy decision takes them.
func (f Facts) Info() authz.CaseInfo {
	info := authz.CaseInfo{OwnerOrg: f.Owner, Shares: make([]authz.Share, 0, len(f.Shares))}
	for _, s := range f.Shares {
		sh := authz.Share{Org: s.Org, Classes: s.Classes}
		if s.Follows {
			sh = authz.Share{Org: s.Org, Ceiling: authz.FollowUpCeiling}
		}
		info.Shares = append(info.Shares, sh)
	}
	return info
}

// ErrNoCase means no case has that id.
var ErrNoCase = errors.New("no such case")

// SharesColumn is a SQL expression, for a query over cases aliased c,
// giving the case's shares as JSON text — its accepted referrals and its
// followers (FollowersSQL); DecodeShares reads it. A query that loads a case
// row adds it as a column and gets the facts in the same round trip.
func SharesColumn(c string) string {
	return `(SELECT coalesce(json_agg(u.s), '[]') FROM (
		SELECT json_build_object('org', r.to_organization, 'classes', r.classes, 'service', r.service) AS s
		FROM referrals r WHERE r.case_id = ` + c + `.id AND ` + referral.AcceptedSQL("r") + `
		UNION ALL
		SELECT json_build_object('org', f.org, 'follows', true) FROM (` + FollowersSQL(c) + `) f) u)::text`
}

// DecodeShares reads the value of SharesColumn.
func DecodeShares(raw string) ([]Share, error) {
	if raw == "[]" {
		// Most cases are shared with no one: a page of a list decodes
		// fifty of these.
		return nil, nil
	}
	var rows []struct {
		Org     string  `json:"org"`
		Classes []int16 `json:"classes"`
		Service int16   `json:"service"`
		Follows bool    `json:"follows"`
	}
	if err := json.Unmarshal([]byte(raw), &rows); err != nil {
		return nil, fmt.Errorf("decode shares: %w", err)
	}
	out := make([]Share, 0, len(rows))
	for _, r := range rows {
		if r.Follows {
			out = append(out, Share{Org: r.Org, Follows: true})
			continue
		}
		out = append(out, Share{Org: r.Org, Classes: dataclass.FromStoredList(r.Classes), Service: casebridgev1.ServiceKind(r.Service)})
	}
	return out, nil
}

// ErasedSQL is Facts.Erased as SQL, for a query over cases aliased c: the
// case was erased (its sensitive data shredded).
func ErasedSQL(c string) string { return c + ".erase_time IS NOT NULL" }

// StatusColumns are two columns, for a query over cases aliased c, giving
// Facts.Status and Facts.Erased in that order (a smallint and a boolean):
// a query that reads a case's state besides its own columns reads it here.
func StatusColumns(c string) string { return c + ".status, " + ErasedSQL(c) }

var factsColumns = `c.id::text, c.organization_id, ` + StatusColumns("c") + `, `

// Load returns the facts of case id in one statement. With lock it also
// locks the case row (FOR UPDATE) for the caller's transaction, so that a
// referral revoked meanwhile cannot slip between the decision and a write.
func Load(ctx context.Context, q db.Querier, id string, lock bool) (Facts, error) {
	sql := `SELECT ` + factsColumns + SharesColumn("c") + ` FROM cases c WHERE c.id = $1`
	if lock {
		sql += ` FOR UPDATE OF c`
	}
	f, err := scanFacts(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Facts{}, ErrNoCase
	}
	if err != nil {
		return Facts{}, fmt.Errorf("load access of case %s: %w", id, err)
	}
	return f, nil
}

// LoadMany is Load for several cases in one statement (a page of a list).
// Cases that do not exist are absent from the result.
func LoadMany(ctx context.Context, q db.Querier, ids []string) (map[string]Facts, error) {
	rows, err := q.Query(ctx, `SELECT `+factsColumns+SharesColumn("c")+` FROM cases c WHERE c.id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("load access of %d cases: %w", len(ids), err)
	}
	out := make(map[string]Facts, len(ids))
	for rows.Next() {
		f, err := scanFacts(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("load access of %d cases: %w", len(ids), err)
		}
		out[f.ID] = f
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load access of %d cases: %w", len(ids), err)
	}
	return out, nil
}

func scanFacts(row pgx.Row) (Facts, error) {
	var f Facts
	var shares string
	var status int16
	if err := row.Scan(&f.ID, &f.Owner, &status, &f.Erased, &shares); err != nil {
		return Facts{}, err
	}
	f.Status = casebridgev1.CaseStatus(status)
	var err error
	f.Shares, err = DecodeShares(shares)
	return f, err
}
