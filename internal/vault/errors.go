package vault

import "errors"

// Sentinel errors, matched with errors.Is. Every error the package returns
// wraps one of these or carries its own context; none contain secrets.
var (
	// ErrNoKey means no organisation key held by the keyring can unwrap the
	// case key (or the named key does not exist). After crypto-shredding this
	// is the expected, permanent outcome.
	ErrNoKey = errors.New("no matching organisation key is held")

	// ErrWrongBinding means a ciphertext is authentic but bound to another
	// case or data class than the caller asked for: it was moved, copied or
	// mixed up, and must not be released.
	ErrWrongBinding = errors.New("ciphertext is bound to a different case or data class")

	// ErrCorrupt means a ciphertext is malformed, was tampered with, or was
	// sealed under a different key. It is never safe to retry.
	ErrCorrupt = errors.New("ciphertext is corrupt, tampered with, or sealed under another key")

	// ErrInvalidClass means a string is not one of the known data classes.
	ErrInvalidClass = errors.New("unknown data class")

	// ErrInvalidCaseID means a case id cannot be bound into a ciphertext
	// (see the rules on [Seal]).
	ErrInvalidCaseID = errors.New("invalid case id")

	// ErrInvalidKeyID means a string is not a well-formed organisation key id;
	// rejecting it also keeps key ids from being used as file paths.
	ErrInvalidKeyID = errors.New("invalid key id")

	// ErrWipedKey means a nil or wiped [CaseKey] was used; encrypting under
	// an all-zero key would be silently insecure, so it is refused.
	ErrWipedKey = errors.New("case key is nil or wiped")
)
