// Package sharing is what every service that shares a case with another
// organisation, or stops sharing it, must do the same way: give the
// receiver the case key, take it away again (re-keying the case so that
// later writes are out of the revoked organisation's reach), end the
// referrals a withdrawn consent or an erasure leaves without ground, and
// tell the organisations concerned through the referral event outbox.
//
// It knows the tables (cases, referrals, case_keys, referral_events) and
// re-keys every sealed column through internal/sealed, not the services: CaseService and
// ReferralService both call it, inside their own transaction, so that a
// change and its consequences commit or roll back together.
package sharing
