package referrals

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/referral"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// CreateReferral asks another organisation to provide a service, in one
// transaction: the pending referral and the CREATED event for both sides.
// It needs an active consent covering the receiver and the purpose the
// service implies. A retry with the same request id returns the referral
// the first attempt made.
func (s *Service) CreateReferral(ctx context.Context, req *casebridgev1.CreateReferralRequest) (*casebridgev1.CreateReferralResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	caseID := canonical(req.GetCaseId())
	n := newReferral{
		id:        uuid.NewString(),
		caseID:    caseID,
		to:        req.GetToOrganizationId(),
		service:   req.GetService(),
		purpose:   referral.PurposeFor(req.GetService()),
		classes:   classNumbers(req.GetGrantedClasses()),
		createdBy: p.Subject,
	}
	if req.GetRequestId() != "" {
		rid := canonical(req.GetRequestId())
		n.requestID = &rid
	}
	// The request id is the sending organisation's, bound to the case.
	once := requestid.Create{RequestID: canonical(req.GetRequestId()), CaseID: caseID,
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			return referralByRequest(ctx, q, n.from, rid)
		}}
	id := n.id
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		acc, err := s.caseAccess(ctx, tx, p, caseID, objReferral, "create", true)
		if err != nil {
			return err
		}
		if acc.Shared {
			return rpcerr.PermissionDenied("only the organisation that owns case %s may refer it", caseID)
		}
		n.from = acc.Org
		if prior, err := once.Prior(ctx, tx); err != nil || prior != "" {
			id = prior
			return err
		}
		if err := s.referrable(ctx, tx, &n, req.GetConsentId()); err != nil {
			return err
		}
		if n.texts, err = s.sealTexts(ctx, tx, caseID, n.id, referralTexts{Message: req.GetMessage()}); err != nil {
			return err
		}
		inserted, err := insertReferral(ctx, tx, n)
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		// The audit event before the outbox: Flush takes the global outbox
		// lock, held to commit, and must stay the last thing done.
		if err := s.audit.InTx(ctx, tx, n.from, caseID, textClasses(n.texts)); err != nil {
			return err
		}
		var events referral.Outbox
		if err := events.Referrals(ctx, tx, referral.EventCreated, n.id); err != nil {
			return err
		}
		return events.Flush(ctx, tx)
	})
	if id, err = once.Settle(ctx, s.pool, id, err); err != nil {
		return nil, err
	}
	r, err := getReferral(ctx, s.pool, id, false)
	if err != nil {
		return nil, fmt.Errorf("read back referral %s: %w", id, err)
	}
	if err := s.openTexts(ctx, s.pool, n.from, r); err != nil {
		return nil, err
	}
	if id != n.id {
		// A retry returns the first attempt's texts: a read, not a change.
		if err := s.audit.Read(ctx, n.from, caseID, textClasses(r.Texts)); err != nil {
			return nil, err
		}
	}
	return &casebridgev1.CreateReferralResponse{Referral: r.toProto()}, nil
}

// referrable checks everything a new referral n needs besides the caller's
// right to make it, and fills in its consent: a case still in assistance,
// a real receiver other than the owner, no open referral of the same case
// to the same receiver for the same service, and the person's consent.
func (s *Service) referrable(ctx context.Context, tx pgx.Tx, n *newReferral, consentID string) error {
	facts, err := caseaccess.Load(ctx, tx, n.caseID, false)
	if err != nil {
		return fmt.Errorf("load case %s: %w", n.caseID, err)
	}
	if err := facts.CheckReferrable(); err != nil {
		return err
	}
	if n.to == n.from {
		return rpcerr.InvalidArgument("to_organization_id", "%s owns case %s: a case is referred to another organisation", n.to, n.caseID)
	}
	to, err := referral.RecipientOf(ctx, tx, n.to)
	if err != nil {
		return err
	}
	open, err := openReferralTo(ctx, tx, n.caseID, n.to, n.service)
	if err != nil {
		return err
	}
	if open != "" {
		return rpcerr.AlreadyExists("referral %s already asks %s for this service on case %s", open, n.to, n.caseID)
	}
	n.consentID, err = referral.FindConsent(ctx, tx, n.caseID, canonical(consentID), to, n.purpose)
	return err
}

// classNumbers stores the granted classes as their numbers, in order.
func classNumbers(classes []casebridgev1.DataClass) []int16 {
	out := dataclass.StoredList(dataclass.FromProtos(classes))
	slices.Sort(out)
	return slices.Compact(out)
}
