package vault

import (
	"fmt"
	"time"
)

// reloadEvery bounds how often misses of one key id re-read the key
// directory (a variable so that tests need not wait).
var reloadEvery = time.Second

// maxMissed bounds the remembered misses. Key ids come from the database,
// not from callers, so there are few; the bound only keeps memory finite.
const maxMissed = 4096

// Reload re-reads the key directory. Replicas that share the directory (a
// shared secret volume) see there the keys another replica generated during
// a rotation and lose those it destroyed. On a malformed directory the keys
// in memory stay as they are and the error is returned.
func (k *Keyring) Reload() error {
	// Under the write lock, like Generate and Destroy: a directory listing
	// taken before a concurrent Generate must not replace the map after it.
	k.mu.Lock()
	defer k.mu.Unlock()
	fresh, err := readKeyDir(k.dir)
	if err != nil {
		return fmt.Errorf("vault: reload keyring: %w", err)
	}
	k.keys = fresh
	return nil
}

// reloadOnMiss reloads the directory after a lookup found no key keyID, at
// most once per reloadEvery for each id, and reports whether it did. The
// limit is per id: a replica that started, or re-read the directory for
// another key, a moment before another replica generated keyID must still
// find keyID on its first miss, or every call wrapping to the new key fails
// until the limit passes. Repeated misses of a key that is really gone (a
// destroyed key, a keyring from the wrong backup) cost one directory read
// per second each.
func (k *Keyring) reloadOnMiss(keyID string) bool {
	k.missedMu.Lock()
	last, tried := k.missed[keyID]
	if tried && time.Since(last) < reloadEvery {
		k.missedMu.Unlock()
		return false
	}
	if len(k.missed) >= maxMissed {
		clear(k.missed)
	}
	k.missed[keyID] = time.Now()
	k.missedMu.Unlock()
	return k.Reload() == nil
}

// UnwrapCaseKeyWith unwraps with the one identity keyID names: one X25519
// operation, however many organisations the keyring holds. A key not in
// memory is looked for on disk once (another replica may have made it).
func (k *Keyring) UnwrapCaseKeyWith(keyID string, wrapped []byte, caseID string) (*CaseKey, error) {
	k.mu.RLock()
	h, ok := k.keys[keyID]
	k.mu.RUnlock()
	if !ok && k.reloadOnMiss(keyID) {
		k.mu.RLock()
		h, ok = k.keys[keyID]
		k.mu.RUnlock()
	}
	if !ok {
		return nil, fmt.Errorf("vault: unwrap case key: key %s is not held: %w", keyID, ErrNoKey)
	}
	return unwrapWith(wrapped, caseID, h.identity)
}
