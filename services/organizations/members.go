package organizations

import (
	"context"
	"net/mail"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// AddMember gives a subject roles in an organisation. Every replica sees the
// change within seconds (the memberships trigger notifies them).
func (s *Service) AddMember(ctx context.Context, req *casebridgev1.AddMemberRequest) (*casebridgev1.AddMemberResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	org, subject, roles := req.GetOrganizationId(), req.GetSubject(), authz.RoleNames(req.GetRoles())
	audit.SetOrg(ctx, org)
	audit.Detail(ctx, audit.DetailMember, subject)
	audit.Detail(ctx, audit.DetailGranted, roles...)
	if err := s.require(p, org, "member", "create"); err != nil {
		return nil, err
	}
	if err := s.requireGrant(p, org, roles); err != nil {
		return nil, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := networkRolesFit(ctx, tx, org, roles); err != nil {
			return err
		}
		c := contact{email: strings.TrimSpace(req.GetContactEmail()), language: req.GetPreferredLanguage()}
		if err := insertMember(ctx, tx, org, subject, roles, req.GetDisplayName(), c); err != nil {
			return err
		}
		return s.audit.InTx(ctx, tx, org, "", nil)
	})
	if err != nil {
		return nil, err
	}
	s.members.Invalidate(subject)
	m, _, err := loadMember(ctx, s.pool, org, subject, false)
	return &casebridgev1.AddMemberResponse{Member: m}, err
}

// UpdateMember replaces a member's roles. The caller must be allowed to
// grant every role given and every role taken away.
func (s *Service) UpdateMember(ctx context.Context, req *casebridgev1.UpdateMemberRequest) (*casebridgev1.UpdateMemberResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	org, subject, roles := req.GetOrganizationId(), req.GetSubject(), authz.RoleNames(req.GetRoles())
	audit.SetOrg(ctx, org)
	audit.Detail(ctx, audit.DetailMember, subject)
	if e := strings.TrimSpace(req.GetContactEmail()); e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			return nil, rpcerr.InvalidArgument("contact_email", "is not an e-mail address")
		}
	}
	if err := s.require(p, org, "member", "update"); err != nil {
		return nil, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, held, err := loadMember(ctx, tx, org, subject, true)
		if err != nil {
			return err
		}
		granted, removed := difference(roles, held), difference(held, roles)
		audit.Detail(ctx, audit.DetailGranted, granted...)
		audit.Detail(ctx, audit.DetailRemoved, removed...)
		if err := s.requireGrant(p, org, slices.Concat(granted, removed)); err != nil {
			return err
		}
		if err := networkRolesFit(ctx, tx, org, granted); err != nil {
			return err
		}
		if err := keepAdmins(ctx, tx, org, subject, removed); err != nil {
			return err
		}
		if err := updateMemberRoles(ctx, tx, org, subject, roles); err != nil {
			return err
		}
		var email *string
		if req.ContactEmail != nil {
			e := strings.TrimSpace(req.GetContactEmail())
			email = &e
		}
		if err := updateMemberContact(ctx, tx, org, subject, email, req.PreferredLanguage); err != nil {
			return err
		}
		return s.audit.InTx(ctx, tx, org, "", nil)
	})
	if err != nil {
		return nil, err
	}
	s.members.Invalidate(subject)
	m, _, err := loadMember(ctx, s.pool, org, subject, false)
	return &casebridgev1.UpdateMemberResponse{Member: m}, err
}

// RemoveMember ends a membership; the subject loses the organisation's
// access on every replica within seconds, whatever their token says. The
// caller must be allowed to take away every role the member holds.
func (s *Service) RemoveMember(ctx context.Context, req *casebridgev1.RemoveMemberRequest) (*casebridgev1.RemoveMemberResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	org, subject := req.GetOrganizationId(), req.GetSubject()
	audit.SetOrg(ctx, org)
	audit.Detail(ctx, audit.DetailMember, subject)
	if err := s.require(p, org, "member", "delete"); err != nil {
		return nil, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, held, err := loadMember(ctx, tx, org, subject, true)
		if err != nil {
			return err
		}
		audit.Detail(ctx, audit.DetailRemoved, held...)
		if err := s.requireGrant(p, org, held); err != nil {
			return err
		}
		if err := keepAdmins(ctx, tx, org, subject, held); err != nil {
			return err
		}
		if err := deleteMember(ctx, tx, org, subject); err != nil {
			return err
		}
		return s.audit.InTx(ctx, tx, org, "", nil)
	})
	if err != nil {
		return nil, err
	}
	s.members.Invalidate(subject)
	return &casebridgev1.RemoveMemberResponse{}, nil
}

// requireGrant refuses unless p may give or take away each of roles in org:
// an organisation's admin grants the organisation roles, only a network
// admin the network roles.
func (s *Service) requireGrant(p authz.Principal, org string, roles []string) error {
	for _, r := range roles {
		if !s.authz.Allowed(p, org, authz.GrantObject(r), authz.ActGrant) {
			return rpcerr.PermissionDenied("you may not grant or take away the role %s in %s", r, org)
		}
	}
	return nil
}

// networkRolesFit refuses network roles for an organisation that is not a
// coordinating body, where they would allow nothing.
func networkRolesFit(ctx context.Context, q db.Querier, org string, roles []string) error {
	if !slices.ContainsFunc(roles, authz.IsNetworkRole) {
		return nil
	}
	kind, err := orgKind(ctx, q, org)
	if err != nil {
		return err
	}
	if kind != authz.CoordinatingBody {
		return rpcerr.FailedPrecondition("network roles are held only in a coordinating body; %s is not one", org)
	}
	return nil
}

// keepAdmins refuses a change that takes from leaving the last holding of
// an admin role in org: nobody could manage its members any more.
func keepAdmins(ctx context.Context, tx pgx.Tx, org, leaving string, removed []string) error {
	for _, role := range authz.AdminRoles {
		if !slices.Contains(removed, role) {
			continue
		}
		holders, err := roleHolders(ctx, tx, org, role)
		if err != nil {
			return err
		}
		if len(holders) == 1 && holders[0] == leaving {
			return rpcerr.FailedPrecondition("%s is the last %s of %s: add another first", leaving, role, org)
		}
	}
	return nil
}

// difference is the roles of a that are not in b.
func difference(a, b []string) []string {
	var out []string
	for _, r := range a {
		if !slices.Contains(b, r) {
			out = append(out, r)
		}
	}
	return out
}

// ListMembers lists an organisation's members, ordered by subject.
func (s *Service) ListMembers(ctx context.Context, req *casebridgev1.ListMembersRequest) (*casebridgev1.ListMembersResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	org := req.GetOrganizationId()
	audit.SetOrg(ctx, org)
	audit.Detail(ctx, audit.DetailOrganization, org)
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
	members, err := listMembers(ctx, s.pool, org, after, limit)
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.ListMembersResponse{Members: members}
	if len(members) > limit {
		resp.Members = members[:limit]
		resp.NextPageToken = pagetoken.Encode(fp, members[limit-1].GetSubject())
	}
	return resp, nil
}
