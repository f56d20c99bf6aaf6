// Package sharing hands a case key to another organisation and takes it
// away again: Grant wraps the case key to a receiver, Revoke re-keys the
// case so that later writes are out of the revoked organisation's reach
// (every sealed column, through internal/sealed). Which organisations keep
// access, and when, is the referral lifecycle's decision (internal/referral
// calls this package); sharing knows only keys.
package sharing
