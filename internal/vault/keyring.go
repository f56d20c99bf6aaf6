package vault

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
)

// Keyring holds the organisation's age X25519 identities. They live in files
// on a mounted secret, never in the database, so that a database dump or
// backup alone cannot unwrap any case key. A Keyring is safe for concurrent
// use.
type Keyring struct {
	dir string

	mu   sync.RWMutex
	keys map[string]heldKey // by key id
	// missed is when a lookup last re-read the directory for a key id it
	// did not hold (see reloadOnMiss).
	missedMu sync.Mutex
	missed   map[string]time.Time
}

// heldKey is one loaded organisation key.
type heldKey struct {
	identity  *age.X25519Identity
	recipient string
	owner     string // the organisation its file names; "" if none
}

// KeyInfo describes an organisation key by its public half only, so it can
// be stored, logged and passed to [WrapCaseKey] freely.
type KeyInfo struct {
	// ID is the first 16 hex characters of SHA-256(Recipient); it names the
	// key file and can be recorded beside wrapped case keys for rotation.
	ID string
	// Recipient is the age public key ("age1...") case keys are wrapped to.
	Recipient string
}

// LoadKeyring reads every <keyID>.agekey file in dir, creating dir with mode
// 0700 if it does not exist. Loading fails as a whole if any key file is
// unreadable, malformed, misnamed or accessible to group/others: starting
// without a key would silently make cases unreadable. Hidden files and files
// with other suffixes are ignored.
func LoadKeyring(dir string) (*Keyring, error) {
	if dir == "" {
		return nil, errors.New("vault: load keyring: empty directory path")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("vault: load keyring: create key directory: %w", err)
	}
	keys, err := readKeyDir(dir)
	if err != nil {
		return nil, err
	}
	return &Keyring{dir: dir, keys: keys, missed: map[string]time.Time{}}, nil
}

// readKeyDir loads every key file of dir.
func readKeyDir(dir string) (map[string]heldKey, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("vault: load keyring: %w", err)
	}
	keys := make(map[string]heldKey)
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, keyFileExt) {
			continue
		}
		id := strings.TrimSuffix(name, keyFileExt)
		if err := checkKeyID(id); err != nil {
			return nil, fmt.Errorf("vault: load keyring: key file %s: name is not <keyID>%s: %w", name, keyFileExt, err)
		}
		identity, owner, err := readKeyFile(keyFilePath(dir, id))
		if errors.Is(err, fs.ErrNotExist) {
			// Destroyed between the listing and the read (a rotation's
			// last step, perhaps on another replica): no longer held.
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("vault: load keyring: key file %s: %w", name, err)
		}
		recipient := identity.Recipient().String()
		if got := keyIDFor(recipient); got != id {
			return nil, fmt.Errorf("vault: load keyring: key file %s holds key %s: file name must match the key", name, got)
		}
		keys[id] = heldKey{identity: identity, recipient: recipient, owner: owner}
	}
	return keys, nil
}

// Generate creates a new key that names no organisation, for tools and
// tests; the server uses GenerateFor. A key whose file names no
// organisation is never destroyed by a rotation.
func (k *Keyring) Generate() (KeyInfo, error) {
	return k.generate("")
}

// GenerateFor creates a new key of organisation owner, writes it durably to
// the key directory (mode 0600, the file naming owner) and starts using it
// for unwrapping. Wrap new case keys to the returned Recipient.
func (k *Keyring) GenerateFor(owner string) (KeyInfo, error) {
	if err := checkOwner(owner); err != nil {
		return KeyInfo{}, fmt.Errorf("vault: generate organisation key: %w", err)
	}
	return k.generate(owner)
}

func (k *Keyring) generate(owner string) (KeyInfo, error) {
	identity, err := age.GenerateX25519Identity()
	if err != nil {
		return KeyInfo{}, fmt.Errorf("vault: generate organisation key: %w", err)
	}
	recipient := identity.Recipient().String()
	id := keyIDFor(recipient)

	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.keys[id]; ok {
		return KeyInfo{}, fmt.Errorf("vault: generate organisation key: id %s already held", id)
	}
	if err := writeKeyFile(k.dir, id, identity, owner, false); err != nil {
		return KeyInfo{}, fmt.Errorf("vault: generate organisation key %s: %w", id, err)
	}
	k.keys[id] = heldKey{identity: identity, recipient: recipient, owner: owner}
	return KeyInfo{ID: id, Recipient: recipient}, nil
}

// Destroy deletes an organisation key's file and in-memory copy, once every
// case key has been re-wrapped to its successor (rotation) or when the cases
// wrapped only to it must become unreadable (crypto-shredding). Copies of the
// key file in backups or on the secret store must be destroyed separately,
// and Go cannot guarantee the old secret is scrubbed from process memory.
// It returns an error wrapping [ErrNoKey] if the key is neither on disk nor
// held.
func (k *Keyring) Destroy(keyID string) error {
	if err := checkKeyID(keyID); err != nil {
		return fmt.Errorf("vault: destroy organisation key: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()

	_, held := k.keys[keyID]
	err := os.Remove(keyFilePath(k.dir, keyID))
	onDisk := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		// Keep the memory copy: the caller must learn the key still exists.
		return fmt.Errorf("vault: destroy organisation key %s: %w", keyID, err)
	}
	if !held && !onDisk {
		return fmt.Errorf("vault: destroy organisation key %s: %w", keyID, ErrNoKey)
	}
	delete(k.keys, keyID)
	if onDisk {
		if err := syncDir(k.dir); err != nil {
			return fmt.Errorf("vault: destroy organisation key %s: %w", keyID, err)
		}
	}
	return nil
}

// Has reports whether the keyring holds the key, e.g. to check that every key
// recorded beside a wrapped case key is still available before rotation.
func (k *Keyring) Has(keyID string) bool {
	_, ok := k.Recipient(keyID)
	return ok
}

// IDs lists the held key ids in sorted order, for rotation and health checks.
func (k *Keyring) IDs() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	ids := make([]string, 0, len(k.keys))
	for id := range k.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Recipient returns the public recipient string of a held key, so that case
// keys can be wrapped to keys loaded from disk (not only freshly generated).
func (k *Keyring) Recipient(keyID string) (string, bool) {
	k.mu.RLock()
	h, ok := k.keys[keyID]
	k.mu.RUnlock()
	if !ok && k.reloadOnMiss(keyID) {
		k.mu.RLock()
		h, ok = k.keys[keyID]
		k.mu.RUnlock()
	}
	return h.recipient, ok
}

// identities snapshots the held identities so decryption runs without
// holding the lock.
func (k *Keyring) identities() []age.Identity {
	k.mu.RLock()
	defer k.mu.RUnlock()
	ids := make([]age.Identity, 0, len(k.keys))
	for _, h := range k.keys {
		ids = append(ids, h.identity)
	}
	return ids
}
