package vault

import (
	"fmt"
	"time"
)

// reloadEvery bounds how often a miss re-reads the key directory (a
// variable so that tests need not wait).
var reloadEvery = time.Second

// Reload re-reads the key directory. Replicas that share the directory (a
// shared secret volume) see there the keys another replica generated during
// a rotation and lose those it destroyed. On a malformed directory the keys
// in memory stay as they are and the error is returned.
func (k *Keyring) Reload() error {
	// Under the write lock, like Generate and Destroy: a directory listing
	// taken before a concurrent Generate must not replace the map after it.
	k.mu.Lock()
	defer k.mu.Unlock()
	k.lastReload = time.Now()
	fresh, err := readKeyDir(k.dir)
	if err != nil {
		return fmt.Errorf("vault: reload keyring: %w", err)
	}
	k.keys = fresh
	return nil
}

// reloadOnMiss reloads the directory after a lookup found no key, at most
// once per reloadEvery, and reports whether it did.
func (k *Keyring) reloadOnMiss() bool {
	k.mu.RLock()
	recent := time.Since(k.lastReload) < reloadEvery
	k.mu.RUnlock()
	if recent {
		return false
	}
	return k.Reload() == nil
}

// UnwrapCaseKeyWith unwraps with the one identity keyID names: one X25519
// operation, however many organisations the keyring holds. A key not in
// memory is looked for on disk once (another replica may have made it).
func (k *Keyring) UnwrapCaseKeyWith(keyID string, wrapped []byte, caseID string) (*CaseKey, error) {
	k.mu.RLock()
	h, ok := k.keys[keyID]
	k.mu.RUnlock()
	if !ok && k.reloadOnMiss() {
		k.mu.RLock()
		h, ok = k.keys[keyID]
		k.mu.RUnlock()
	}
	if !ok {
		return nil, fmt.Errorf("vault: unwrap case key: key %s is not held: %w", keyID, ErrNoKey)
	}
	return unwrapWith(wrapped, caseID, h.identity)
}
