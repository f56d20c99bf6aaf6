package organizations

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/iso"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

var orgID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func validateOrg(o *casebridgev1.Organization, create bool) error {
	if create && !orgID.MatchString(o.GetId()) {
		return rpcerr.InvalidArgument("organization.id", "must be 1-63 lower-case letters, digits and dashes, starting with a letter or digit")
	}
	if create && o.GetDisplayName() == "" {
		return rpcerr.InvalidArgument("organization.display_name", "is required")
	}
	if len(o.GetDisplayName()) > 200 {
		return rpcerr.InvalidArgument("organization.display_name", "at most 200 characters")
	}
	if create && o.GetKind() == casebridgev1.OrganizationKind_ORGANIZATION_KIND_UNSPECIFIED {
		return rpcerr.InvalidArgument("organization.kind", "is required")
	}
	if _, ok := casebridgev1.OrganizationKind_name[int32(o.GetKind())]; !ok {
		return rpcerr.InvalidArgument("organization.kind", "unknown kind %d", o.GetKind())
	}
	if c := o.GetCountryCode(); c != "" && !iso.ValidCountry(c) {
		return rpcerr.InvalidArgument("organization.country_code", "%q is not an ISO 3166-1 alpha-2 country code", c)
	}
	return nil
}

// CreateOrganization registers an organisation, gives it an encryption key
// and makes the named subject its first org_admin. It is a network admin's
// act: the kind of an organisation decides which consents cover it ("any
// legal-aid organisation"), so no organisation may register its own
// look-alikes.
func (s *Service) CreateOrganization(ctx context.Context, req *casebridgev1.CreateOrganizationRequest) (*casebridgev1.CreateOrganizationResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	o := req.GetOrganization()
	audit.Detail(ctx, audit.DetailOrganization, o.GetId())
	audit.Detail(ctx, audit.DetailKind, kindName(o.GetKind()))
	audit.Detail(ctx, audit.DetailAdmin, req.GetAdminSubject())
	if err := s.requireNetwork(ctx, p, "organization", "create"); err != nil {
		return nil, err
	}
	if err := validateOrg(o, true); err != nil {
		return nil, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := insertOrganization(ctx, tx, o); err != nil {
			return err
		}
		if err := insertMember(ctx, tx, o.GetId(), req.GetAdminSubject(), []string{authz.RoleOrgAdmin}, "", contact{}); err != nil {
			return fmt.Errorf("add first admin of %s: %w", o.GetId(), err)
		}
		if _, err := s.keys.EnsureOrgKey(ctx, tx, o.GetId()); err != nil {
			return err
		}
		return s.audit.InTx(ctx, tx, "", "", nil)
	})
	if err != nil {
		return nil, err
	}
	s.members.Invalidate(req.GetAdminSubject())
	created, err := s.getOrg(ctx, o.GetId())
	return &casebridgev1.CreateOrganizationResponse{Organization: created}, err
}

// GetOrganization returns an organisation's public profile.
func (s *Service) GetOrganization(ctx context.Context, req *casebridgev1.GetOrganizationRequest) (*casebridgev1.GetOrganizationResponse, error) {
	audit.Detail(ctx, audit.DetailOrganization, req.GetId())
	o, err := s.getOrg(ctx, req.GetId())
	return &casebridgev1.GetOrganizationResponse{Organization: o}, err
}

// ListOrganizations is the directory, ordered by id.
func (s *Service) ListOrganizations(ctx context.Context, req *casebridgev1.ListOrganizationsRequest) (*casebridgev1.ListOrganizationsResponse, error) {
	fp := pagetoken.Fingerprint(req.GetKind(), req.GetCountryCode())
	keys, err := pagetoken.Decode(req.GetPageToken(), fp, 1)
	if err != nil {
		return nil, rpcerr.InvalidArgument("page_token", "%v", err)
	}
	after := ""
	if keys != nil {
		after = keys[0]
	}
	limit := pagetoken.Size(req.GetPageSize(), 100, 1000)
	orgs, err := listOrganizations(ctx, s.pool, orgFilter{kind: req.GetKind(), country: req.GetCountryCode(), after: after, limit: limit})
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.ListOrganizationsResponse{Organizations: orgs}
	if len(orgs) > limit {
		resp.Organizations = orgs[:limit]
		resp.NextPageToken = pagetoken.Encode(fp, orgs[limit-1].GetId())
	}
	return resp, nil
}

// updatable are the fields UpdateOrganization changes; the approval
// settings say what the organisation's supervisors must approve
// (internal/approval reads them).
var updatable = []string{"display_name", "kind", "country_code", "approvals.support_plans", "approvals.case_closures"}

// UpdateOrganization changes the profile fields named by the mask.
func (s *Service) UpdateOrganization(ctx context.Context, req *casebridgev1.UpdateOrganizationRequest) (*casebridgev1.UpdateOrganizationResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	o := req.GetOrganization()
	paths := req.GetUpdateMask().GetPaths()
	audit.SetOrg(ctx, o.GetId())
	audit.Detail(ctx, audit.DetailOrganization, o.GetId())
	audit.Detail(ctx, audit.DetailField, paths...)
	if slices.Contains(paths, "kind") {
		// What kind an organisation is decides which consents cover it:
		// that is the network admin's to say, as when registering it.
		audit.Detail(ctx, audit.DetailKind, kindName(o.GetKind()))
		if err := s.requireNetwork(ctx, p, "organization", "create"); err != nil {
			return nil, err
		}
	}
	if slices.ContainsFunc(paths, func(f string) bool { return f != "kind" }) {
		if err := s.require(p, o.GetId(), "organization", "update"); err != nil {
			return nil, err
		}
	}
	if err := validateOrg(o, false); err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, rpcerr.InvalidArgument("update_mask", "must name at least one field")
	}
	for _, path := range paths {
		if !slices.Contains(updatable, path) {
			return nil, rpcerr.InvalidArgument("update_mask", "unknown or read-only field %q (allowed: %s)", path, strings.Join(updatable, ", "))
		}
	}
	has := func(f string) bool { return slices.Contains(paths, f) }
	if has("display_name") && o.GetDisplayName() == "" {
		return nil, rpcerr.InvalidArgument("organization.display_name", "cannot be empty")
	}
	if has("kind") && o.GetKind() == casebridgev1.OrganizationKind_ORGANIZATION_KIND_UNSPECIFIED {
		return nil, rpcerr.InvalidArgument("organization.kind", "cannot be unspecified")
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		saved, err := saveOrganization(ctx, tx, o, req.GetEtag(), has)
		if err != nil {
			return err
		}
		if !saved {
			if _, err := s.getOrg(ctx, o.GetId()); err != nil {
				return err
			}
			return rpcerr.Aborted("organisation %s was changed since you read it (stale etag)", o.GetId())
		}
		return s.audit.InTx(ctx, tx, "", "", nil)
	})
	if err != nil {
		return nil, err
	}
	updated, err := s.getOrg(ctx, o.GetId())
	return &casebridgev1.UpdateOrganizationResponse{Organization: updated}, err
}

// kindName is how an event names an organisation kind ("legal_aid").
func kindName(k casebridgev1.OrganizationKind) string {
	return strings.ToLower(strings.TrimPrefix(k.String(), "ORGANIZATION_KIND_"))
}

func sortMemberships(ms []*casebridgev1.Membership) {
	sort.Slice(ms, func(i, j int) bool { return ms[i].GetOrganizationId() < ms[j].GetOrganizationId() })
}
