package organizations

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const memberColumns = `organization_id, subject, roles, display_name, create_time, update_time, contact_email, preferred_language`

func scanMember(row pgx.Row) (*casebridgev1.Member, []string, error) {
	var m casebridgev1.Member
	var roles []string
	var created, updated time.Time
	var lang int16
	if err := row.Scan(&m.OrganizationId, &m.Subject, &roles, &m.DisplayName, &created, &updated, &m.ContactEmail, &lang); err != nil {
		return nil, nil, err
	}
	m.PreferredLanguage = casebridgev1.Language(lang)
	m.Roles = authz.RolesFromNames(roles)
	m.CreateTime, m.UpdateTime = timestamppb.New(created), timestamppb.New(updated)
	return &m, roles, nil
}

// loadMember returns a member and the role names stored for it, locking the
// row inside a transaction when lock is true.
func loadMember(ctx context.Context, q db.Querier, org, subject string, lock bool) (*casebridgev1.Member, []string, error) {
	sql := `SELECT ` + memberColumns + ` FROM memberships WHERE organization_id = $1 AND subject = $2`
	if lock {
		sql += ` FOR UPDATE`
	}
	m, roles, err := scanMember(q.QueryRow(ctx, sql, org, subject))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, rpcerr.NotFound("%s is not a member of %s", subject, org)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load member %s of %s: %w", subject, org, err)
	}
	return m, roles, nil
}

// insertMember adds a membership; AlreadyExists when the subject is a member.
func insertMember(ctx context.Context, q db.Querier, org, subject string, roles []string, displayName string, c contact) error {
	_, err := q.Exec(ctx, `INSERT INTO memberships (organization_id, subject, roles, display_name, contact_email, preferred_language)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		org, subject, roles, displayName, c.email, int16(c.language))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return rpcerr.AlreadyExists("%s is already a member of %s: use UpdateMember to change roles", subject, org)
	}
	if err != nil {
		return fmt.Errorf("add member %s to %s: %w", subject, org, err)
	}
	return nil
}

func updateMemberRoles(ctx context.Context, q db.Querier, org, subject string, roles []string) error {
	if _, err := q.Exec(ctx, `UPDATE memberships SET roles = $3, update_time = now()
		WHERE organization_id = $1 AND subject = $2`, org, subject, roles); err != nil {
		return fmt.Errorf("update roles of %s in %s: %w", subject, org, err)
	}
	return nil
}

// contact is where and in which language a member receives digests.
type contact struct {
	email    string
	language casebridgev1.Language
}

// updateMemberContact replaces what is set of a member's contact fields.
func updateMemberContact(ctx context.Context, q db.Querier, org, subject string, email *string, lang *casebridgev1.Language) error {
	if email == nil && lang == nil {
		return nil
	}
	var l *int16
	if lang != nil {
		v := int16(*lang)
		l = &v
	}
	if _, err := q.Exec(ctx, `UPDATE memberships SET contact_email = coalesce($3, contact_email),
		preferred_language = coalesce($4, preferred_language), update_time = now()
		WHERE organization_id = $1 AND subject = $2`, org, subject, email, l); err != nil {
		return fmt.Errorf("update contact of %s in %s: %w", subject, org, err)
	}
	return nil
}

func deleteMember(ctx context.Context, q db.Querier, org, subject string) error {
	if _, err := q.Exec(ctx, `DELETE FROM memberships WHERE organization_id = $1 AND subject = $2`, org, subject); err != nil {
		return fmt.Errorf("remove member %s of %s: %w", subject, org, err)
	}
	return nil
}

// roleHolders returns the members of org holding role, locked so that two
// concurrent removals cannot both see another holder left.
func roleHolders(ctx context.Context, tx pgx.Tx, org, role string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT subject FROM memberships
		WHERE organization_id = $1 AND $2 = ANY(roles) FOR UPDATE`, org, role)
	if err != nil {
		return nil, fmt.Errorf("holders of %s in %s: %w", role, org, err)
	}
	holders, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("holders of %s in %s: %w", role, org, err)
	}
	return holders, nil
}

// orgKind returns the kind of organisation org; NotFound when there is none.
func orgKind(ctx context.Context, q db.Querier, org string) (casebridgev1.OrganizationKind, error) {
	var kind int16
	err := q.QueryRow(ctx, `SELECT kind FROM organizations WHERE id = $1`, org).Scan(&kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, rpcerr.NotFound("organisation %s not found", org)
	}
	if err != nil {
		return 0, fmt.Errorf("kind of organisation %s: %w", org, err)
	}
	return casebridgev1.OrganizationKind(kind), nil
}

// listMembers returns up to limit+1 members of org after subject after,
// ordered by subject (one more than a page holds tells that another
// follows).
func listMembers(ctx context.Context, q db.Querier, org, after string, limit int) ([]*casebridgev1.Member, error) {
	rows, err := q.Query(ctx, `SELECT `+memberColumns+` FROM memberships
		WHERE organization_id = $1 AND subject > $2 ORDER BY subject LIMIT $3`, org, after, limit+1)
	if err != nil {
		return nil, fmt.Errorf("list members of %s: %w", org, err)
	}
	defer rows.Close()
	var out []*casebridgev1.Member
	for rows.Next() {
		m, _, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("scan member: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list members of %s: %w", org, err)
	}
	return out, nil
}
