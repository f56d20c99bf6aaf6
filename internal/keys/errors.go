package keys

import (
	"errors"

	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/rpcerr"
)

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

	// ErrForeignKey means the database names, as a key of one organisation,
	// a key whose file in this server's keyring names another organisation:
	// its row was relabelled by someone able to write the database. No case
	// key is wrapped to it on the first organisation's behalf, and a
	// rotation that lists it as retiring is failed, moving and destroying
	// nothing.
	//
	// A client sees it as FailedPrecondition: nothing was changed, and an
	// operator must put the key records right before the call can succeed.
	ErrForeignKey = rpcerr.Condition(codes.FailedPrecondition,
		"the organisation key records were altered: a key recorded as this organisation's belongs to another organisation according to the server's keyring; nothing was changed, and an operator must restore the key records before this can be done")

	// ErrRotationIncomplete means a rotation found that the database no
	// longer records one of the keys it retires as a retiring key of its
	// organisation, so it cannot destroy it; the rotation is failed rather
	// than reported done with a key left behind.
	ErrRotationIncomplete = errors.New("key rotation cannot retire every key it lists")

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
