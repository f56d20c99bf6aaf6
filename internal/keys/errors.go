package keys

import "errors"

// Sentinel errors, matched with errors.Is. Errors returned by the package
// wrap one of these (or a vault sentinel, or a database error) with the ids
// involved, never with key material.
var (
	// ErrNoCaseKey means the case has no wrapped key that this server's
	// keyring can unwrap: it was erased (crypto-shredded), never keyed, or
	// shared only with organisations whose keys are held elsewhere.
	ErrNoCaseKey = errors.New("no usable case key")

	// ErrCaseKeyExists means CreateCaseKey was called for a case that
	// already has a key; replacing a key must go through ReplaceCaseKey so
	// its ciphertexts are re-encrypted.
	ErrCaseKeyExists = errors.New("case already has a key")

	// ErrCaseNotFound means the cases row does not exist (or is not visible
	// to the caller's transaction).
	ErrCaseNotFound = errors.New("case not found")

	// ErrNoActiveKey means the organisation has no active key; EnsureOrgKey
	// creates one.
	ErrNoActiveKey = errors.New("organisation has no active key")

	// ErrKeyNotHeld means the database names an organisation key whose
	// private half this server's keyring does not hold, or whose public half
	// in the database differs from the keyring's. Case keys are only ever
	// wrapped to keys the keyring holds, so that someone able to write to the
	// database cannot redirect new case keys to a key of their own.
	ErrKeyNotHeld = errors.New("organisation key is not held by this server's keyring")

	// ErrLastCaseKey means a revocation would leave the case with no wrapped
	// key at all, which is erasure; use ShredCaseKeys for that.
	ErrLastCaseKey = errors.New("revocation would remove the case's last wrapped key")

	// ErrRotationUnattested means a key_rotations row does not carry a
	// valid attestation under its target key (see attest.go): it was not
	// written by this server, or was altered since. Nothing is moved or
	// destroyed for it; it is marked failed.
	ErrRotationUnattested = errors.New("key rotation record is not attested by the keyring")

	// ErrRotationNotFound means no such rotation exists for the organisation.
	ErrRotationNotFound = errors.New("key rotation not found")

	// ErrInvalidID means a case or rotation id is not a canonical UUID, or an
	// organisation id is malformed.
	ErrInvalidID = errors.New("invalid id")
)
