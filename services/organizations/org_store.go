package organizations

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// orgColumns reads an organisation for scanOrg.
const orgColumns = `id, display_name, kind, country_code, create_time, update_time, version, support_plan_approval, closure_approval`

// scanOrg reads an organisation of orgColumns; its version is its etag.
func scanOrg(row pgx.Row) (*casebridgev1.Organization, error) {
	var o casebridgev1.Organization
	var kind int16
	var created, updated time.Time
	var version int64
	a := &casebridgev1.ApprovalSettings{}
	if err := row.Scan(&o.Id, &o.DisplayName, &kind, &o.CountryCode, &created, &updated, &version, &a.SupportPlans, &a.CaseClosures); err != nil {
		return nil, err
	}
	o.Approvals = a
	o.Kind = casebridgev1.OrganizationKind(kind)
	o.CreateTime, o.UpdateTime = timestamppb.New(created), timestamppb.New(updated)
	o.Etag = strconv.FormatInt(version, 10)
	return &o, nil
}

// insertOrganization registers organisation o; an id already taken is
// AlreadyExists.
func insertOrganization(ctx context.Context, tx pgx.Tx, o *casebridgev1.Organization) error {
	_, err := tx.Exec(ctx, `INSERT INTO organizations (id, display_name, kind, country_code) VALUES ($1, $2, $3, $4)`,
		o.GetId(), o.GetDisplayName(), int16(o.GetKind()), o.GetCountryCode())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return rpcerr.AlreadyExists("organisation %s already exists", o.GetId())
	}
	if err != nil {
		return fmt.Errorf("insert organisation %s: %w", o.GetId(), err)
	}
	return nil
}

// getOrg loads organisation id; one that does not exist is NotFound.
func (s *Service) getOrg(ctx context.Context, id string) (*casebridgev1.Organization, error) {
	o, err := scanOrg(s.pool.QueryRow(ctx, `SELECT `+orgColumns+` FROM organizations WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, rpcerr.NotFound("organisation %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load organisation %s: %w", id, err)
	}
	return o, nil
}

// orgFilter is a page of the directory: organisations of a kind and a
// country (zero and "": any), ordered by id, after the id after.
type orgFilter struct {
	kind    casebridgev1.OrganizationKind
	country string
	after   string
	limit   int
}

// listOrganizations returns up to f.limit+1 organisations of page f (one
// more than the page holds tells that another follows).
func listOrganizations(ctx context.Context, q db.Querier, f orgFilter) ([]*casebridgev1.Organization, error) {
	rows, err := q.Query(ctx, `SELECT `+orgColumns+` FROM organizations
		WHERE ($1 = 0 OR kind = $1) AND ($2 = '' OR country_code = $2) AND id > $3
		ORDER BY id LIMIT $4`, int16(f.kind), f.country, f.after, f.limit+1)
	if err != nil {
		return nil, fmt.Errorf("list organisations: %w", err)
	}
	defer rows.Close()
	var out []*casebridgev1.Organization
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, fmt.Errorf("scan organisation: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list organisations: %w", err)
	}
	return out, nil
}

// saveOrganization writes the profile fields of o that has names, if the
// organisation's version is still etag; saved is false when it is not (or
// the organisation does not exist).
func saveOrganization(ctx context.Context, tx pgx.Tx, o *casebridgev1.Organization, etag string, has func(string) bool) (saved bool, err error) {
	tag, err := tx.Exec(ctx, `UPDATE organizations SET
			display_name = CASE WHEN $3 THEN $4 ELSE display_name END,
			kind = CASE WHEN $5 THEN $6 ELSE kind END,
			country_code = CASE WHEN $7 THEN $8 ELSE country_code END,
			support_plan_approval = CASE WHEN $9 THEN $10 ELSE support_plan_approval END,
			closure_approval = CASE WHEN $11 THEN $12 ELSE closure_approval END,
			update_time = now(), version = version + 1
		WHERE id = $1 AND version::text = $2`,
		o.GetId(), etag, has("display_name"), o.GetDisplayName(), has("kind"), int16(o.GetKind()),
		has("country_code"), o.GetCountryCode(),
		has("approvals.support_plans"), o.GetApprovals().GetSupportPlans(),
		has("approvals.case_closures"), o.GetApprovals().GetCaseClosures())
	if err != nil {
		return false, fmt.Errorf("update organisation %s: %w", o.GetId(), err)
	}
	return tag.RowsAffected() == 1, nil
}
