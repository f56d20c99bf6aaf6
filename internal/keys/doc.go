// Package keys is the envelope between organisation keys, case keys and
// PostgreSQL.
//
// Every case has its own random data key (vault.CaseKey). It is stored only
// wrapped (age X25519) to the active key of each organisation allowed to read
// the case, one case_keys row per organisation key; the private halves of
// the organisation keys live in the server's keyring, never in the database.
// A database dump or backup on its own therefore reveals no case key.
//
// The package keeps four promises:
//
//   - Hot reads are cheap: an unwrapped case key is cached, and the cache is
//     kept coherent with what is committed (see coherence.go), so a re-keyed
//     or erased case is never served from a stale entry.
//   - Mutations are atomic: every operation that writes runs in a savepoint
//     of the caller's transaction (or its own transaction), so callers do one
//     transaction per mutation and a failure leaves nothing half-done.
//   - Organisation keys can be rotated while the server keeps serving: a
//     background worker re-wraps case keys in small batches and, once no case
//     key is left on the old key, destroys it. Rotations are recorded in
//     key_rotations and resume after a restart. Nothing the database says
//     destroys a key on its own: a rotation row counts only if it verifies
//     against the keyring, and only keys whose own file names the rotated
//     organisation are destroyed (see attest.go).
//   - Erasure is crypto-shredding: deleting a case's wrapped keys is followed,
//     in the same transaction, by a rotation of every organisation key that
//     wrapped it, so that copies of the wrapped key in old backups become
//     undecryptable once the rotation finishes.
//
// Each Manager listens for those cache invalidations, and for rotations
// started by other transactions or replicas, on the process's notification
// listener (db.Listener, NewManagerListening; a Manager made by NewManager
// keeps one of its own, application_name casebridge-keys-listener). The
// listener pings its connection whenever it has been quiet for a while;
// cached keys are used only while the last proof of life is under three
// seconds old, and the cache is dropped whenever the connection is lost
// and again when it is back.
//
// No key, wrapped key or plaintext ever appears in an error or a log line;
// case, organisation, key and rotation ids do.
//
// Callers should use READ COMMITTED transactions (PostgreSQL's default):
// the locking protocol between rotations and writers re-reads rows after
// waiting for a lock, which REPEATABLE READ reports as a serialization
// failure instead.
package keys
