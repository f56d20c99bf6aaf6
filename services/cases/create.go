package cases

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseref"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// CreateCase opens a case in one transaction: the row, its data key wrapped
// to the owner's key, and each sensitive class sealed under it.
func (s *Service) CreateCase(ctx context.Context, req *casebridgev1.CreateCaseRequest) (*casebridgev1.CreateCaseResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	org, err := s.actingOrg(p, req.GetOrganizationId(), "organization_id", "case", "create")
	if err != nil {
		return nil, err
	}
	in := req.GetCase()
	if err := validateCoded(in.GetCoded(), "case.coded"); err != nil {
		return nil, err
	}
	var classes []dataclass.Class
	for _, c := range dataclass.All {
		if getClass(in, c) == nil {
			continue
		}
		if !s.authz.Allowed(p, org, string(c), authz.ActWrite) {
			return nil, rpcerr.PermissionDenied("your role may not record %s data", c)
		}
		classes = append(classes, c)
	}
	// A new case has no case yet to bind its request id to: the id is the
	// organisation's (unique on organization_id, request_id), and that
	// scope is the binding.
	once := requestid.Create{RequestID: req.GetRequestId(),
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			id, err := caseIDByRequest(ctx, q, org, rid)
			return id, "", err
		}}
	// Before any reference number is reserved, so a retry leaves no gap.
	if prior, err := once.Prior(ctx, s.pool); err != nil || prior != "" {
		return s.createdAgain(ctx, p, prior, err)
	}
	now := s.now().UTC()
	// Refused before any work when the quota is spent; charged exactly in
	// the transaction below.
	if _, err := s.limits().Cases.Remaining(ctx, s.pool, org, now); err != nil {
		return nil, err
	}
	prefix, number, err := caseref.ReserveAhead(ctx, s.pool, org, now.Year(), 1)
	if err != nil {
		return nil, err
	}
	r := &caseRow{
		ID:        uuid.NewString(),
		OrgID:     org,
		Reference: caseref.Format(prefix, now.Year(), number),
		Status:    open,
		Assigned:  p.Subject,
		Coded:     codedOrEmpty(in.GetCoded()),
	}
	for _, c := range classes {
		r.ClassesPresent |= c.Bit()
	}
	var requestID *string
	if req.GetRequestId() != "" {
		requestID = &req.RequestId
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		inserted, err := insertCase(ctx, tx, r, requestID)
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		key, err := s.keys.CreateCaseKey(ctx, tx, r.ID, org)
		if err != nil {
			return err
		}
		defer key.Wipe()
		sealed := make(map[dataclass.Class][]byte, len(classes))
		for _, c := range classes {
			if sealed[c], err = sealClass(key, r.ID, c, getClass(in, c)); err != nil {
				return err
			}
		}
		if err := putSecrets(ctx, tx, r.ID, sealed); err != nil {
			return err
		}
		if err := s.audit.InTx(ctx, tx, org, r.ID, classes); err != nil {
			return err
		}
		// Last, so that the quota row stays locked only until the commit.
		return s.limits().Cases.Charge(ctx, tx, org, 1, now)
	})
	if id, err := once.Settle(ctx, s.pool, r.ID, err); err != nil || id != r.ID {
		return s.createdAgain(ctx, p, id, err)
	}
	// The response carries back what the caller just gave, no decryption
	// and no second read: the classes they may read, the rest listed as redacted.
	out := r.toProto()
	acc := s.ownerAccess(p, org)
	for _, c := range classes {
		if acc.CanRead(c) {
			setClass(out, c, getClass(in, c))
		} else {
			out.RedactedClasses = append(out.RedactedClasses, c.Proto())
		}
	}
	return &casebridgev1.CreateCaseResponse{Case: out}, nil
}

// createdAgain answers a retried create with the case the first attempt made.
func (s *Service) createdAgain(ctx context.Context, p authz.Principal, id string, err error) (*casebridgev1.CreateCaseResponse, error) {
	if err != nil {
		return nil, err
	}
	prior, err := getCase(ctx, s.pool, id, false)
	if err != nil {
		return nil, err
	}
	acc := s.ownerAccess(p, prior.OrgID)
	out, err := s.render(ctx, s.pool, acc, prior, casebridgev1.CaseView_CASE_VIEW_FULL)
	if err != nil {
		return nil, err
	}
	// Nothing was written this time; what is returned was decrypted.
	if err := s.recordReturned(ctx, acc.Org, out); err != nil {
		return nil, err
	}
	return &casebridgev1.CreateCaseResponse{Case: out}, nil
}

// actingOrg picks the organisation a create acts for: the one named, which
// the caller must hold obj/act in, or the only one where they do.
func (s *Service) actingOrg(p authz.Principal, named, field, obj, act string) (string, error) {
	if named != "" {
		if !s.authz.Allowed(p, named, obj, act) {
			return "", rpcerr.PermissionDenied("you may not %s %s for organisation %s", act, obj, named)
		}
		return named, nil
	}
	orgs := s.authz.OrgsAllowed(p, obj, act)
	switch len(orgs) {
	case 1:
		return orgs[0], nil
	case 0:
		return "", rpcerr.PermissionDenied("your roles do not allow %s %s in any organisation", act, obj)
	}
	return "", rpcerr.InvalidArgument(field, "required: you belong to several organisations (%v)", orgs)
}

func codedOrEmpty(c *casebridgev1.CodedAttributes) *casebridgev1.CodedAttributes {
	if c == nil {
		return &casebridgev1.CodedAttributes{}
	}
	return c
}
