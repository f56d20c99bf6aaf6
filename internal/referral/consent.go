package referral

import (
	"context"
	"fmt"
	"time"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/rpcerr/reason"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// A referral stands on the person's consent. "Consent in force" is one
// rule, written twice side by side: InForceSQL for queries and NotInForce
// for a consent already loaded (CheckInForce loads one and applies it).
// Change them together.

const (
	granted   = casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED
	refused   = casebridgev1.ConsentDecision_CONSENT_DECISION_REFUSED
	active    = casebridgev1.ConsentState_CONSENT_STATE_ACTIVE
	withdrawn = casebridgev1.ConsentState_CONSENT_STATE_WITHDRAWN
)

// WithdrawnState is the state a withdrawal leaves a consent in, as stored
// in consents.state.
const WithdrawnState = int16(withdrawn)

// InForceSQL is the condition "the consent aliased s is in force": it
// grants, it is not withdrawn and it has not lapsed. The SQL twin of
// NotInForce.
func InForceSQL(s string) string {
	return fmt.Sprintf(`(%[1]s.decision = %[2]d AND %[1]s.state = %[3]d AND NOT %[4]s)`,
		s, int16(granted), int16(active), LapsedSQL(s))
}

// LapsedSQL is the condition "the consent aliased s has lapsed": its expiry
// has passed. A lapsed consent ends the sharing it allowed, as a
// withdrawal does.
func LapsedSQL(s string) string {
	return fmt.Sprintf(`coalesce(%[1]s.expire_time <= now(), false)`, s)
}

// RefusalInForceSQL is the condition "the consent aliased s records a
// refusal that is in force": it refuses, it is not withdrawn and it has not
// lapsed. A refusal to statistics keeps the case out of every figure. The
// SQL twin of RefusalInForce.
func RefusalInForceSQL(s string) string {
	return fmt.Sprintf(`(%[1]s.decision = %[2]d AND %[1]s.state = %[3]d AND NOT %[4]s)`,
		s, int16(refused), int16(active), LapsedSQL(s))
}

// RefusalInForce is the Go twin of RefusalInForceSQL.
func RefusalInForce(state, decision int16, expire *time.Time, now time.Time) bool {
	return casebridgev1.ConsentDecision(decision) == refused && casebridgev1.ConsentState(state) == active &&
		(expire == nil || expire.After(now))
}

// PurposeSQL is the condition "the consent aliased s is for purpose p".
func PurposeSQL(s string, p casebridgev1.ConsentPurpose) string {
	return fmt.Sprintf(`%s.purpose = %d`, s, int16(p))
}

// NotInForce says why a consent (its stored state and decision, its expiry
// and the database's now) is not in force, or "" when it is: the Go twin of
// InForceSQL.
func NotInForce(state, decision int16, expire *time.Time, now time.Time) string {
	switch {
	case casebridgev1.ConsentDecision(decision) != granted:
		return "records a refusal"
	case casebridgev1.ConsentState(state) != active:
		return "was withdrawn"
	case expire != nil && !expire.After(now):
		return "has expired"
	}
	return ""
}

// CheckInForce refuses a change that relies on consent consentID unless
// that consent is in force now, by the database's clock (the one
// InForceSQL reads, so that a consent never counts as lapsed here and in
// force there). The refusal is ConsentRefusal with the reason and purpose,
// worded "<subject> <why>: <outcome>"; subject names the consent and what
// relies on it ("the consent X that referral Y relies on"), outcome what
// is refused ("the referral cannot be accepted").
func CheckInForce(ctx context.Context, q db.Querier, consentID string, purpose casebridgev1.ConsentPurpose, subject, outcome string) error {
	var state, decision int16
	var expire *time.Time
	var now time.Time
	err := q.QueryRow(ctx, `SELECT state, decision, expire_time, now() FROM consents WHERE id = $1`, consentID).
		Scan(&state, &decision, &expire, &now)
	if err != nil {
		return fmt.Errorf("load %s: %w", subject, err)
	}
	if why := NotInForce(state, decision, expire, now); why != "" {
		return ConsentRefusal(NotInForceReason(state, decision, expire, now), consentID, purpose, "%s %s: %s", subject, why, outcome)
	}
	return nil
}

// NotInForceReason is NotInForce as the reason a client is given
// (reason.Consent*), or "" when the consent is in force. The same
// cases in the same order as NotInForce.
func NotInForceReason(state, decision int16, expire *time.Time, now time.Time) string {
	switch {
	case casebridgev1.ConsentDecision(decision) != granted:
		return reason.ConsentRefused
	case casebridgev1.ConsentState(state) != active:
		return reason.ConsentWithdrawn
	case expire != nil && !expire.After(now):
		return reason.ConsentExpired
	}
	return ""
}

// ConsentRefusal is the FailedPrecondition of a change the person's consent
// does not allow, carrying code (reason.Consent*), the consent's id
// (when one was named or relied on) and the purpose in its ErrorInfo.
func ConsentRefusal(code, consentID string, purpose casebridgev1.ConsentPurpose, format string, args ...any) error {
	meta := map[string]string{}
	if consentID != "" {
		meta["consent_id"] = consentID
	}
	if purpose != casebridgev1.ConsentPurpose_CONSENT_PURPOSE_UNSPECIFIED {
		meta["purpose"] = purpose.String()
	}
	return rpcerr.FailedPreconditionReason(code, meta, format, args...)
}

// CoversSQL is the condition "the consent aliased s names the organisation
// org" (an SQL expression for its id: a column, never client text): it
// names it by id, or names its kind.
func CoversSQL(s, org string) string {
	return fmt.Sprintf(`(%[1]s.organization_id = %[2]s OR %[1]s.organization_kind = (SELECT k.kind FROM organizations k WHERE k.id = %[2]s))`, s, org)
}
