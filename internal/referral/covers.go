package referral

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/rpcerr/reason"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Recipient is the organisation a case is shared with or handed to, as a
// consent can name it: by id or by kind.
type Recipient struct {
	ID   string
	Kind casebridgev1.OrganizationKind
}

func (r Recipient) String() string {
	return fmt.Sprintf("%s (or any %s organisation)", r.ID, KindWord(r.Kind))
}

// FindConsent returns the consent a new referral (or a transfer) relies on:
// the one named, which must be active and cover the recipient and purpose,
// or else the active consent that does (one naming the organisation
// preferred to one naming its kind, then the most recently given). Without
// one it is FailedPrecondition, saying which consent is missing.
func FindConsent(ctx context.Context, tx pgx.Tx, caseID, named string, to Recipient, purpose casebridgev1.ConsentPurpose) (string, error) {
	if named != "" {
		return checkNamedConsent(ctx, tx, caseID, named, to, purpose)
	}
	var id string
	err := tx.QueryRow(ctx, `
		SELECT id FROM consents
		WHERE case_id = $1 AND purpose = $2 AND `+InForceSQL("consents")+`
		  AND (organization_id = $3 OR organization_kind = $4)
		ORDER BY organization_id IS NOT NULL DESC, given_time DESC, create_time DESC
		LIMIT 1`, caseID, int16(purpose), to.ID, int16(to.Kind)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ConsentRefusal(reason.ConsentMissing, "", purpose,
			"missing consent: case %s has no active consent for %s that covers %s; "+
				"record the person's consent (purpose %s, recipient %s) first",
			caseID, PurposeWord(purpose), to, PurposeWord(purpose), to)
	}
	if err != nil {
		return "", fmt.Errorf("find consent of case %s: %w", caseID, err)
	}
	return id, nil
}

// checkNamedConsent verifies the consent the client chose, saying what is
// wrong with it.
func checkNamedConsent(ctx context.Context, tx pgx.Tx, caseID, id string, to Recipient, purpose casebridgev1.ConsentPurpose) (string, error) {
	var p, decision, state int16
	var org *string
	var kind *int16
	var expire *time.Time
	var now time.Time
	err := tx.QueryRow(ctx, `SELECT purpose, decision, state, organization_id, organization_kind, expire_time, now()
		FROM consents WHERE id = $1 AND case_id = $2`, id, caseID).Scan(&p, &decision, &state, &org, &kind, &expire, &now)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ConsentRefusal(reason.ConsentMissing, id, purpose, "missing consent: case %s has no consent %s", caseID, id)
	}
	if err != nil {
		return "", fmt.Errorf("load consent %s: %w", id, err)
	}
	var problems []string
	// The first problem decides the reason: a consent that is not in
	// force is that, whatever else it names.
	code := NotInForceReason(state, decision, expire, now)
	if why := NotInForce(state, decision, expire, now); why != "" {
		problems = append(problems, why)
	}
	if code == "" {
		code = reason.ConsentNotCovering
	}
	if casebridgev1.ConsentPurpose(p) != purpose {
		problems = append(problems, fmt.Sprintf("is for %s, not %s", PurposeWord(casebridgev1.ConsentPurpose(p)), PurposeWord(purpose)))
	}
	switch {
	case org != nil && *org != to.ID:
		problems = append(problems, fmt.Sprintf("names organisation %s, not %s", *org, to.ID))
	case kind != nil && casebridgev1.OrganizationKind(*kind) != to.Kind:
		problems = append(problems, fmt.Sprintf("names %s organisations, and %s is a %s organisation",
			KindWord(casebridgev1.OrganizationKind(*kind)), to.ID, KindWord(to.Kind)))
	case org == nil && kind == nil:
		problems = append(problems, "names no recipient")
	}
	if len(problems) > 0 {
		return "", ConsentRefusal(code, id, purpose, "consent %s does not allow this: it %s; it needs an active consent for %s that covers %s",
			id, strings.Join(problems, "; it "), PurposeWord(purpose), to)
	}
	return id, nil
}

// RecipientOf looks up the organisation a case goes to (field
// to_organization_id of the request).
func RecipientOf(ctx context.Context, tx pgx.Tx, id string) (Recipient, error) {
	var kind int16
	err := tx.QueryRow(ctx, `SELECT kind FROM organizations WHERE id = $1`, id).Scan(&kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return Recipient{}, rpcerr.InvalidArgument("to_organization_id", "no organisation %q", id)
	}
	if err != nil {
		return Recipient{}, fmt.Errorf("look up organisation %s: %w", id, err)
	}
	return Recipient{ID: id, Kind: casebridgev1.OrganizationKind(kind)}, nil
}

// PurposeWord is p as words ("legal representation"), for messages.
func PurposeWord(p casebridgev1.ConsentPurpose) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(p.String(), "CONSENT_PURPOSE_"), "_", " "))
}

// KindWord is k as words ("legal aid"), for messages.
func KindWord(k casebridgev1.OrganizationKind) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(k.String(), "ORGANIZATION_KIND_"), "_", " "))
}
