package cases

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/doclinks"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/referral"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/transfer"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// RecordConsent records the person's decision about sharing their case or
// its statistical use.
func (s *Service) RecordConsent(ctx context.Context, req *casebridgev1.RecordConsentRequest) (*casebridgev1.RecordConsentResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkConsentRecipient(req); err != nil {
		return nil, err
	}
	given := s.now()
	if req.GetGivenTime() != nil {
		given = req.GetGivenTime().AsTime()
	}
	var expire *time.Time
	if req.GetExpireTime() != nil {
		t := req.GetExpireTime().AsTime()
		expire = &t
	}
	var orgID *string
	var kind *int16
	switch r := req.GetRecipient().(type) {
	case *casebridgev1.RecordConsentRequest_OrganizationId:
		orgID = &r.OrganizationId
	case *casebridgev1.RecordConsentRequest_OrganizationKind:
		k := int16(r.OrganizationKind)
		kind = &k
	}
	var requestID *string
	if req.GetRequestId() != "" {
		requestID = &req.RequestId
	}
	// The request id is the case's: the unique index is (case_id, request_id).
	once := requestid.Create{RequestID: req.GetRequestId(), CaseID: req.GetCaseId(),
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			return consentByRequest(ctx, q, req.GetCaseId(), rid)
		}}
	made := uuid.NewString()
	id := made
	var acc authz.Access
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		acc, err = s.access(ctx, tx, p, req.GetCaseId(), "consent", "create", true)
		if err != nil {
			return err
		}
		r, err := getCase(ctx, tx, req.GetCaseId(), false)
		if err != nil {
			return err
		}
		if r.EraseTime != nil {
			return rpcerr.FailedPrecondition("case %s is erased", r.ID)
		}
		// A retry finds the first attempt's row and writes nothing, so that
		// a row is written only by a transaction that records its event.
		if prior, err := once.Prior(ctx, tx); err != nil || prior != "" {
			id = prior
			return err
		}
		if orgID != nil {
			if err := requireOrganization(ctx, tx, *orgID); err != nil {
				return err
			}
		}
		texts, err := s.sealConsentTexts(ctx, tx, r.ID, made, consentTexts{Method: req.GetMethod()})
		if err != nil {
			return err
		}
		inserted, err := insertConsent(ctx, tx, consentRow{id: made, caseID: r.ID, purpose: req.GetPurpose(), decision: req.GetDecision(),
			org: orgID, kind: kind, given: given, expire: expire, recordedBy: p.Subject, texts: texts, requestID: requestID})
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		return s.audit.InTx(ctx, tx, acc.Org, r.ID, consentClasses(req.GetMethod()))
	})
	if id, err = once.Settle(ctx, s.pool, id, err); err != nil {
		return nil, err
	}
	c, opened, err := s.getConsent(ctx, s.pool, acc, req.GetCaseId(), id, s.now())
	if err != nil {
		return nil, err
	}
	if id != made && opened {
		// A retry returns the first attempt's method: a read, not a change.
		if err := s.audit.Read(ctx, acc.Org, c.GetCaseId(), consentClasses(c.GetMethod())); err != nil {
			return nil, err
		}
	}
	return &casebridgev1.RecordConsentResponse{Consent: c}, nil
}

// checkConsentRecipient enforces who a consent may name: sharing purposes
// need a recipient, statistics must not have one.
func checkConsentRecipient(req *casebridgev1.RecordConsentRequest) error {
	hasRecipient := req.GetRecipient() != nil
	switch req.GetPurpose() {
	case casebridgev1.ConsentPurpose_CONSENT_PURPOSE_STATISTICS:
		if hasRecipient {
			return rpcerr.InvalidArgument("recipient", "a statistics consent covers anonymised use by coordinators and names no organisation")
		}
	default:
		if !hasRecipient {
			return rpcerr.InvalidArgument("recipient", "organization_id or organization_kind is required for purpose %s", req.GetPurpose())
		}
	}
	if req.GetGivenTime() != nil && req.GetExpireTime() != nil && !req.GetExpireTime().AsTime().After(req.GetGivenTime().AsTime()) {
		return rpcerr.InvalidArgument("expire_time", "must be after given_time")
	}
	return nil
}

// requireOrganization refuses a consent naming an organisation that is not
// registered.
func requireOrganization(ctx context.Context, q db.Querier, id string) error {
	ok, err := organizationExists(ctx, q, id)
	if err != nil {
		return err
	}
	if !ok {
		return rpcerr.InvalidArgument("organization_id", "no organisation %q", id)
	}
	return nil
}

// WithdrawConsent withdraws a consent and, at once, ends every sharing of
// the case that relied on it.
func (s *Service) WithdrawConsent(ctx context.Context, req *casebridgev1.WithdrawConsentRequest) (*casebridgev1.WithdrawConsentResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	var acc authz.Access
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		acc, err = s.access(ctx, tx, p, req.GetCaseId(), "consent", "withdraw", true)
		if err != nil {
			return err
		}
		// The state is all the withdrawal needs: the method stays sealed.
		c, _, err := s.getConsent(ctx, tx, authz.Access{}, req.GetCaseId(), req.GetConsentId(), s.now())
		if err != nil {
			return err
		}
		if c.GetState() == casebridgev1.ConsentState_CONSENT_STATE_WITHDRAWN {
			return rpcerr.FailedPrecondition("consent %s is already withdrawn", c.GetId())
		}
		if err := withdrawConsent(ctx, tx, c.GetId()); err != nil {
			return err
		}
		if err := s.audit.InTx(ctx, tx, acc.Org, req.GetCaseId(), nil); err != nil {
			return err
		}
		return s.endSharingOf(ctx, tx, req.GetCaseId(), c.GetId())
	})
	if err != nil {
		return nil, err
	}
	c, opened, err := s.getConsent(ctx, s.pool, acc, req.GetCaseId(), req.GetConsentId(), s.now())
	if err != nil {
		return nil, err
	}
	if err := s.proofDocuments(ctx, acc, req.GetCaseId(), []*casebridgev1.Consent{c}); err != nil {
		return nil, err
	}
	if opened {
		// The answer carries the method in clear: a read of its class.
		if err := s.audit.Read(ctx, acc.Org, c.GetCaseId(), consentClasses(c.GetMethod())); err != nil {
			return nil, err
		}
	}
	return &casebridgev1.WithdrawConsentResponse{Consent: c}, nil
}

// endSharingOf ends, in the withdrawal's transaction, every sharing of the
// case that relied on the consent: a transfer proposed on it is cancelled
// (transfer.EndConsent), its open referrals are revoked and the
// receivers that lose access lose the case key, which is rotated so that
// later writes are out of their reach (see referral.EndConsent).
func (s *Service) endSharingOf(ctx context.Context, tx pgx.Tx, caseID, consentID string) error {
	if err := transfer.EndConsent(ctx, tx, caseID, consentID); err != nil {
		return err
	}
	return referral.EndConsent(ctx, tx, s.keys, caseID, consentID, "consent withdrawn")
}

// ListConsents lists a case's consents, newest first.
func (s *Service) ListConsents(ctx context.Context, req *casebridgev1.ListConsentsRequest) (*casebridgev1.ListConsentsResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	acc, err := s.access(ctx, s.pool, p, req.GetCaseId(), "consent", authz.ActRead, false)
	if err != nil {
		return nil, err
	}
	fp := pagetoken.Fingerprint(p.Subject, req.GetCaseId())
	keys, err := pagetoken.Decode(req.GetPageToken(), fp, 2)
	if err != nil {
		return nil, rpcerr.InvalidArgument("page_token", "%v", err)
	}
	var afterTime *time.Time
	var afterID *string
	if keys != nil {
		t, err := time.Parse(time.RFC3339Nano, keys[0])
		if err != nil {
			return nil, rpcerr.InvalidArgument("page_token", "%v", pagetoken.ErrInvalid)
		}
		afterTime, afterID = &t, &keys[1]
	}
	limit := pagetoken.Size(req.GetPageSize(), 50, 500)
	found, err := listConsents(ctx, s.pool, consentPage{caseID: req.GetCaseId(), afterTime: afterTime, afterID: afterID, limit: limit}, s.now())
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.ListConsentsResponse{}
	if len(found) > limit {
		resp.NextPageToken = pagetoken.Encode(fp, found[limit-1].created.Format(time.RFC3339Nano), found[limit-1].consent.GetId())
		found = found[:limit]
	}
	for _, c := range found {
		resp.Consents = append(resp.Consents, c.consent)
	}
	if err := s.proofDocuments(ctx, acc, req.GetCaseId(), resp.Consents); err != nil {
		return nil, err
	}
	var classes []dataclass.Class
	for i, c := range resp.Consents {
		opened, err := s.openConsentTexts(ctx, s.pool, acc, c, found[i].texts)
		if err != nil {
			return nil, err
		}
		if opened && classes == nil {
			classes = consentClasses(c.GetMethod())
		}
	}
	if classes != nil {
		if err := s.audit.Read(ctx, acc.Org, req.GetCaseId(), classes); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// getConsent reads one consent, its method opened if acc may read it
// (opened reports so: the caller records the read).
func (s *Service) getConsent(ctx context.Context, q db.Querier, acc authz.Access, caseID, id string, now time.Time) (c *casebridgev1.Consent, opened bool, err error) {
	found, err := loadConsent(ctx, q, caseID, id, now)
	if err != nil {
		return nil, false, err
	}
	opened, err = s.openConsentTexts(ctx, q, acc, found.consent, found.texts)
	return found.consent, opened, err
}

// proofDocuments sets on each consent of case caseID the ids of the
// documents proving it that the caller, reaching the case with acc, sees.
func (s *Service) proofDocuments(ctx context.Context, acc authz.Access, caseID string, consents []*casebridgev1.Consent) error {
	if len(consents) == 0 {
		return nil
	}
	f, err := caseaccess.Load(ctx, s.pool, caseID, false)
	if err != nil {
		return err
	}
	sight := make(map[string]caseaccess.DocumentSight, len(consents))
	for _, c := range consents {
		sight[c.GetId()] = caseaccess.SightOf(acc, f)
	}
	ids, err := doclinks.IDs(ctx, s.pool, doclinks.Consent, sight)
	if err != nil {
		return err
	}
	for _, c := range consents {
		c.DocumentIds = ids[c.GetId()]
	}
	return nil
}
