package cases

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/referral"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// consentColumns reads a consent for scanConsent.
const consentColumns = `id, case_id, purpose, decision, organization_id, organization_kind, state,
	given_time, expire_time, withdraw_time, recorded_by, texts, create_time`

// storedConsent is a consent as loaded: its texts still sealed (for
// openConsentTexts) and when it was recorded (a page's position).
type storedConsent struct {
	consent *casebridgev1.Consent
	created time.Time
	texts   []byte
}

// organizationExists reports whether organisation id is registered.
func organizationExists(ctx context.Context, q db.Querier, id string) (bool, error) {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organizations WHERE id = $1)`, id).Scan(&ok); err != nil {
		return false, fmt.Errorf("look up organisation %s: %w", id, err)
	}
	return ok, nil
}

// withdrawConsent marks consent id withdrawn, as of now; ending the
// sharing that relied on it is the caller's (endSharingOf), in tx.
func withdrawConsent(ctx context.Context, tx pgx.Tx, id string) error {
	if _, err := tx.Exec(ctx, `UPDATE consents SET state = $2, withdraw_time = now() WHERE id = $1`, id, referral.WithdrawnState); err != nil {
		return fmt.Errorf("withdraw consent %s: %w", id, err)
	}
	return nil
}

// consentPage is one page of a case's consents, newest first: those
// recorded before the one at (afterTime, afterID), or from the newest when
// afterTime is nil.
type consentPage struct {
	caseID    string
	afterTime *time.Time
	afterID   *string
	limit     int
}

// listConsents returns the consents of page f, up to f.limit+1 of them
// (one more than the page holds tells that another page follows); now
// decides which have expired.
func listConsents(ctx context.Context, q db.Querier, f consentPage, now time.Time) ([]storedConsent, error) {
	rows, err := q.Query(ctx, `SELECT `+consentColumns+` FROM consents
		WHERE case_id = $1 AND ($2::timestamptz IS NULL OR (create_time, id) < ($2, $3::uuid))
		ORDER BY create_time DESC, id DESC LIMIT $4`, f.caseID, f.afterTime, f.afterID, f.limit+1)
	if err != nil {
		return nil, fmt.Errorf("list consents of case %s: %w", f.caseID, err)
	}
	defer rows.Close()
	var out []storedConsent
	for rows.Next() {
		c, err := scanConsent(rows, now)
		if err != nil {
			return nil, fmt.Errorf("scan consent of case %s: %w", f.caseID, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list consents of case %s: %w", f.caseID, err)
	}
	return out, nil
}

// loadConsent reads consent id of case caseID; one that does not exist, or
// is another case's, is NotFound.
func loadConsent(ctx context.Context, q db.Querier, caseID, id string, now time.Time) (storedConsent, error) {
	c, err := scanConsent(q.QueryRow(ctx, `SELECT `+consentColumns+` FROM consents WHERE id = $1 AND case_id = $2`, id, caseID), now)
	if errors.Is(err, pgx.ErrNoRows) {
		return storedConsent{}, rpcerr.NotFound("consent %s not found on case %s", id, caseID)
	}
	if err != nil {
		return storedConsent{}, fmt.Errorf("load consent %s of case %s: %w", id, caseID, err)
	}
	return c, nil
}

// scanConsent reads a consent of consentColumns. An active consent whose
// expiry has passed by now reads as expired.
func scanConsent(row pgx.Row, now time.Time) (storedConsent, error) {
	var c casebridgev1.Consent
	var purpose, decision, state int16
	var org *string
	var kind *int16
	var given, created time.Time
	var expire, withdraw *time.Time
	var texts []byte
	if err := row.Scan(&c.Id, &c.CaseId, &purpose, &decision, &org, &kind, &state,
		&given, &expire, &withdraw, &c.RecordedBy, &texts, &created); err != nil {
		return storedConsent{}, err
	}
	c.Purpose = casebridgev1.ConsentPurpose(purpose)
	c.Decision = casebridgev1.ConsentDecision(decision)
	c.State = casebridgev1.ConsentState(state)
	if c.State == casebridgev1.ConsentState_CONSENT_STATE_ACTIVE && expire != nil && !expire.After(now) {
		c.State = casebridgev1.ConsentState_CONSENT_STATE_EXPIRED
	}
	switch {
	case org != nil:
		c.Recipient = &casebridgev1.Consent_OrganizationId{OrganizationId: *org}
	case kind != nil:
		c.Recipient = &casebridgev1.Consent_OrganizationKind{OrganizationKind: casebridgev1.OrganizationKind(*kind)}
	}
	c.GivenTime = timestamppb.New(given)
	if expire != nil {
		c.ExpireTime = timestamppb.New(*expire)
	}
	if withdraw != nil {
		c.WithdrawTime = timestamppb.New(*withdraw)
	}
	return storedConsent{consent: &c, created: created, texts: texts}, nil
}
