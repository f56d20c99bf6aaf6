package organizations

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const memberColumns = `organization_id, subject, roles, display_name, create_time, update_time`

func scanMember(row pgx.Row) (*casebridgev1.Member, error) {
	var m casebridgev1.Member
	var roles []string
	var created, updated time.Time
	if err := row.Scan(&m.OrganizationId, &m.Subject, &roles, &m.DisplayName, &created, &updated); err != nil {
		return nil, err
	}
	m.Roles = rolesFromNames(roles)
	m.CreateTime, m.UpdateTime = timestamppb.New(created), timestamppb.New(updated)
	return &m, nil
}

func (s *Service) getMember(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, org, subject string) (*casebridgev1.Member, error) {
	m, err := scanMember(q.QueryRow(ctx, `SELECT `+memberColumns+` FROM memberships
		WHERE organization_id = $1 AND subject = $2`, org, subject))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, rpcerr.NotFound("%s is not a member of %s", subject, org)
	}
	if err != nil {
		return nil, fmt.Errorf("load member %s of %s: %w", subject, org, err)
	}
	return m, nil
}

// AddMember gives a subject roles in an organisation. Every replica sees the
// change within seconds (the memberships trigger notifies them).
func (s *Service) AddMember(ctx context.Context, req *casebridgev1.AddMemberRequest) (*casebridgev1.AddMemberResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.require(p, req.GetOrganizationId(), "member", "create"); err != nil {
		return nil, err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO memberships (organization_id, subject, roles, display_name) VALUES ($1, $2, $3, $4)`,
		req.GetOrganizationId(), req.GetSubject(), roleNames(req.GetRoles()), req.GetDisplayName())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return nil, rpcerr.AlreadyExists("%s is already a member of %s: use UpdateMember to change roles", req.GetSubject(), req.GetOrganizationId())
	}
	if err != nil {
		return nil, fmt.Errorf("add member %s to %s: %w", req.GetSubject(), req.GetOrganizationId(), err)
	}
	s.members.Invalidate(req.GetSubject())
	m, err := s.getMember(ctx, s.pool, req.GetOrganizationId(), req.GetSubject())
	return &casebridgev1.AddMemberResponse{Member: m}, err
}

// UpdateMember replaces a member's roles.
func (s *Service) UpdateMember(ctx context.Context, req *casebridgev1.UpdateMemberRequest) (*casebridgev1.UpdateMemberResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	org, subject := req.GetOrganizationId(), req.GetSubject()
	if err := s.require(p, org, "member", "update"); err != nil {
		return nil, err
	}
	roles := roleNames(req.GetRoles())
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := s.getMember(ctx, tx, org, subject); err != nil {
			return err
		}
		if !slices.Contains(roles, "org_admin") {
			if err := keepAnAdmin(ctx, tx, org, subject); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `UPDATE memberships SET roles = $3, update_time = now()
			WHERE organization_id = $1 AND subject = $2`, org, subject, roles)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.members.Invalidate(subject)
	m, err := s.getMember(ctx, s.pool, org, subject)
	return &casebridgev1.UpdateMemberResponse{Member: m}, err
}

// RemoveMember ends a membership; the subject loses the organisation's
// access on every replica within seconds, whatever their token says.
func (s *Service) RemoveMember(ctx context.Context, req *casebridgev1.RemoveMemberRequest) (*casebridgev1.RemoveMemberResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	org, subject := req.GetOrganizationId(), req.GetSubject()
	if err := s.require(p, org, "member", "delete"); err != nil {
		return nil, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := s.getMember(ctx, tx, org, subject); err != nil {
			return err
		}
		if err := keepAnAdmin(ctx, tx, org, subject); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM memberships WHERE organization_id = $1 AND subject = $2`, org, subject)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.members.Invalidate(subject)
	return &casebridgev1.RemoveMemberResponse{}, nil
}

// keepAnAdmin refuses a change that would leave org without an org_admin:
// nobody could manage its members or keys any more.
func keepAnAdmin(ctx context.Context, tx pgx.Tx, org, leaving string) error {
	// Lock the organisation's admins so two concurrent removals cannot both pass.
	rows, err := tx.Query(ctx, `SELECT subject FROM memberships
		WHERE organization_id = $1 AND 'org_admin' = ANY(roles) FOR UPDATE`, org)
	if err != nil {
		return fmt.Errorf("count admins of %s: %w", org, err)
	}
	admins, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("count admins of %s: %w", org, err)
	}
	if len(admins) == 1 && admins[0] == leaving {
		return rpcerr.FailedPrecondition("%s is the last org_admin of %s: add another admin first", leaving, org)
	}
	return nil
}

// ListMembers lists an organisation's members, ordered by subject.
func (s *Service) ListMembers(ctx context.Context, req *casebridgev1.ListMembersRequest) (*casebridgev1.ListMembersResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	org := req.GetOrganizationId()
	if err := s.require(p, org, "member", "read"); err != nil {
		return nil, err
	}
	fp := pagetoken.Fingerprint(org)
	keys, err := pagetoken.Decode(req.GetPageToken(), fp, 1)
	if err != nil {
		return nil, rpcerr.InvalidArgument("page_token", "%v", err)
	}
	after := ""
	if keys != nil {
		after = keys[0]
	}
	limit := pagetoken.Size(req.GetPageSize(), 100, 1000)
	rows, err := s.pool.Query(ctx, `SELECT `+memberColumns+` FROM memberships
		WHERE organization_id = $1 AND subject > $2 ORDER BY subject LIMIT $3`, org, after, limit+1)
	if err != nil {
		return nil, fmt.Errorf("list members of %s: %w", org, err)
	}
	defer rows.Close()
	resp := &casebridgev1.ListMembersResponse{}
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("scan member: %w", err)
		}
		if len(resp.Members) == limit {
			resp.NextPageToken = pagetoken.Encode(fp, resp.Members[limit-1].GetSubject())
			break
		}
		resp.Members = append(resp.Members, m)
	}
	return resp, rows.Err()
}
