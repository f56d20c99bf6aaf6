package organizations

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/iso"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

var orgID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

const orgColumns = `id, display_name, kind, country_code, create_time, update_time, version, support_plan_approval, closure_approval`

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
		_, err := tx.Exec(ctx, `INSERT INTO organizations (id, display_name, kind, country_code) VALUES ($1, $2, $3, $4)`,
			o.GetId(), o.GetDisplayName(), int16(o.GetKind()), o.GetCountryCode())
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return rpcerr.AlreadyExists("organisation %s already exists", o.GetId())
		}
		if err != nil {
			return fmt.Errorf("insert organisation %s: %w", o.GetId(), err)
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
	rows, err := s.pool.Query(ctx, `SELECT `+orgColumns+` FROM organizations
		WHERE ($1 = 0 OR kind = $1) AND ($2 = '' OR country_code = $2) AND id > $3
		ORDER BY id LIMIT $4`, int16(req.GetKind()), req.GetCountryCode(), after, limit+1)
	if err != nil {
		return nil, fmt.Errorf("list organisations: %w", err)
	}
	defer rows.Close()
	resp := &casebridgev1.ListOrganizationsResponse{}
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, fmt.Errorf("scan organisation: %w", err)
		}
		if len(resp.Organizations) == limit {
			resp.NextPageToken = pagetoken.Encode(fp, resp.Organizations[limit-1].GetId())
			break
		}
		resp.Organizations = append(resp.Organizations, o)
	}
	return resp, rows.Err()
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
		tag, err := tx.Exec(ctx, `UPDATE organizations SET
				display_name = CASE WHEN $3 THEN $4 ELSE display_name END,
				kind = CASE WHEN $5 THEN $6 ELSE kind END,
				country_code = CASE WHEN $7 THEN $8 ELSE country_code END,
				support_plan_approval = CASE WHEN $9 THEN $10 ELSE support_plan_approval END,
				closure_approval = CASE WHEN $11 THEN $12 ELSE closure_approval END,
				update_time = now(), version = version + 1
			WHERE id = $1 AND version::text = $2`,
			o.GetId(), req.GetEtag(), has("display_name"), o.GetDisplayName(), has("kind"), int16(o.GetKind()),
			has("country_code"), o.GetCountryCode(),
			has("approvals.support_plans"), o.GetApprovals().GetSupportPlans(),
			has("approvals.case_closures"), o.GetApprovals().GetCaseClosures())
		if err != nil {
			return fmt.Errorf("update organisation %s: %w", o.GetId(), err)
		}
		if tag.RowsAffected() == 0 {
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
