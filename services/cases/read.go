package cases

import (
	"context"
	"math/bits"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/iso"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// GetCase returns the case with the classes the caller may read decrypted;
// the others are listed as redacted, never filled with look-alike data.
func (s *Service) GetCase(ctx context.Context, req *casebridgev1.GetCaseRequest) (*casebridgev1.GetCaseResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	// One round trip loads the row, its ciphertexts and its sharing; the
	// decision is made before anything of it is used.
	r, err := getCaseSealed(ctx, s.pool, req.GetId())
	if err != nil {
		return nil, err
	}
	acc, err := s.decide(p, r.facts(), "case", authz.ActRead)
	if err != nil {
		return nil, err
	}
	view := req.GetView()
	if view == casebridgev1.CaseView_CASE_VIEW_UNSPECIFIED {
		view = casebridgev1.CaseView_CASE_VIEW_FULL
	}
	out, err := s.render(ctx, s.pool, acc, r, view)
	if err != nil {
		return nil, err
	}
	if err := s.audit.Read(ctx, acc.Org, r.ID, returnedClasses(out)); err != nil {
		return nil, err
	}
	return &casebridgev1.GetCaseResponse{Case: out}, nil
}

// ownerAccess is the access of a caller acting in the owning organisation.
func (s *Service) ownerAccess(p authz.Principal, org string) authz.Access {
	return authz.Access{Org: org, Classes: s.authz.ReadableClasses(p, org)}
}

// render turns a row into the API message: plain attributes, the classes
// acc allows decrypted (FULL view only), the rest listed as redacted; for a
// follower, only caseaccess.FollowerView. The
// classes in known (at most one map) are not decrypted but taken from it:
// a change that has them in clear already.
func (s *Service) render(ctx context.Context, q db.Querier, acc authz.Access, r *caseRow, view casebridgev1.CaseView, known ...map[dataclass.Class]proto.Message) (*casebridgev1.Case, error) {
	out := r.toProto()
	if caseaccess.Follows(acc) {
		// A former owner following the case: what the follow-up consent
		// covers, whatever the view asked for; nothing is decrypted.
		return caseaccess.FollowerView(out), nil
	}
	var readable []dataclass.Class
	if n := bits.OnesCount16(uint16(r.ClassesPresent)); n > 0 && view != casebridgev1.CaseView_CASE_VIEW_FULL {
		// Every class present is redacted: sized once, as a list's basic
		// view does it for fifty cases.
		out.RedactedClasses = make([]casebridgev1.DataClass, 0, n)
	}
	for _, c := range dataclass.All {
		if !r.has(c) {
			continue
		}
		if view == casebridgev1.CaseView_CASE_VIEW_FULL && acc.CanRead(c) {
			readable = append(readable, c)
		} else {
			out.RedactedClasses = append(out.RedactedClasses, c.Proto())
		}
	}
	if _, err := s.decryptInto(ctx, q, r, readable, out, known...); err != nil {
		return nil, err
	}
	return out, nil
}

// ListCases lists the cases the caller can see — owned by their
// organisations or shared with them — newest first, by keyset pagination on
// insertion order so that cases created meanwhile neither repeat nor
// displace others.
func (s *Service) ListCases(ctx context.Context, req *casebridgev1.ListCasesRequest) (*casebridgev1.ListCasesResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	orgs := s.authz.OrgsAllowed(p, "case", authz.ActRead)
	var since *time.Time
	if req.GetUpdatedSince() != nil {
		t := req.GetUpdatedSince().AsTime()
		since = &t
	}
	fp := pagetoken.Fingerprint(p.Subject, req.GetStatus(), req.GetAssignedCaseworker(), since,
		req.GetExploitationForm(), req.GetReference(), req.GetOrganizationId())
	keys, err := pagetoken.Decode(req.GetPageToken(), fp, 1)
	if err != nil {
		return nil, rpcerr.InvalidArgument("page_token", "%v", err)
	}
	f := listFilter{
		orgs: orgs, status: int16(req.GetStatus()), assigned: req.GetAssignedCaseworker(),
		since: since, form: int16(req.GetExploitationForm()), reference: req.GetReference(),
		owner: req.GetOrganizationId(), limit: pagetoken.Size(req.GetPageSize(), 50, 500),
	}
	if keys != nil {
		if f.afterSeq, err = strconv.ParseInt(keys[0], 10, 64); err != nil {
			return nil, rpcerr.InvalidArgument("page_token", "%v", pagetoken.ErrInvalid)
		}
	}
	rows, more, err := listCases(ctx, s.pool, f)
	if err != nil {
		return nil, err
	}
	view := req.GetView()
	if view == casebridgev1.CaseView_CASE_VIEW_UNSPECIFIED {
		view = casebridgev1.CaseView_CASE_VIEW_BASIC
	}
	resp := &casebridgev1.ListCasesResponse{Cases: make([]*casebridgev1.Case, 0, len(rows))}
	budget, used := s.limits(), 0
	// The rows of a page mostly share their facts (one owner, no
	// referral): each distinct set is decided once.
	decider := s.gate.ForPage(p, "case", authz.ActRead)
	for i, r := range rows {
		acc, err := decider.Decide(r.facts())
		if err != nil {
			// Shared with an organisation where the caller's role cannot read it.
			continue
		}
		c, err := s.render(ctx, s.pool, acc, r, view)
		if err != nil {
			return nil, err
		}
		size := proto.Size(c)
		if budget.pageFull(len(resp.Cases), used, size) {
			// The page is full: the next one starts at this case.
			rows, more = rows[:i], true
			break
		}
		used += size
		if classes := returnedClasses(c); len(classes) > 0 {
			if err := s.audit.Read(ctx, acc.Org, r.ID, classes); err != nil {
				return nil, err
			}
		}
		resp.Cases = append(resp.Cases, c)
	}
	if more && len(rows) > 0 {
		resp.NextPageToken = pagetoken.Encode(fp, strconv.FormatInt(rows[len(rows)-1].Seq, 10))
	}
	return resp, nil
}

// validateCoded checks what the declared rules cannot: that country codes
// are real ISO 3166-1 countries.
func validateCoded(c *casebridgev1.CodedAttributes, path string) error {
	if c == nil {
		return nil
	}
	if n := c.GetNationality(); n != "" && !iso.ValidCountry(n) {
		return rpcerr.InvalidArgument(path+".nationality", "%q is not an ISO 3166-1 alpha-2 country code", n)
	}
	if n := c.GetCountry(); n != "" && !iso.ValidCountry(n) {
		return rpcerr.InvalidArgument(path+".country", "%q is not an ISO 3166-1 alpha-2 country code", n)
	}
	return nil
}
