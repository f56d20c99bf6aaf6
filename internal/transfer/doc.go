// Package transfer is the lifecycle of a case transfer: the hand-over of a
// whole case from its owner to another organisation (a person returning to
// their home country), with the person's consent.
//
// It owns the statuses and their SQL twins, the transition table (who makes
// which change from which status) and the consent purposes a transfer
// stands on. Who may see a case once it was transferred — the former owner
// following its status under a follow-up consent — is the visibility rule's,
// in internal/caseaccess; re-keying the case away from the former owner is
// internal/referral's and internal/sharing's one path (referral.Ended).
package transfer
