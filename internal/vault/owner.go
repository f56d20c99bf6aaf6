package vault

import (
	"errors"
	"fmt"
)

// ownerPrefix starts the line of a key file that names the organisation
// the key belongs to. It is a comment to age, so the stock age tool still
// reads the file.
//
// The organisation is recorded in the keyring, not only in the database,
// because the keyring is what someone able to write the database cannot
// change: a rotation destroys a key only if the key's own file says it
// belongs to the organisation being rotated (see keys.finishRotation), so a
// row relabelling another organisation's key cannot get it destroyed.
const ownerPrefix = "# organization: "

// maxOwnerLen bounds an organisation id in a key file.
const maxOwnerLen = 64

// ErrOwnerMismatch means a key file already names another organisation.
var ErrOwnerMismatch = errors.New("vault: key belongs to another organisation")

// checkOwner accepts an organisation id made of lowercase letters, digits
// and dashes (the form organizations.id allows).
func checkOwner(owner string) error {
	if owner == "" || len(owner) > maxOwnerLen {
		return fmt.Errorf("organisation id must be 1 to %d characters", maxOwnerLen)
	}
	for i := 0; i < len(owner); i++ {
		c := owner[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return errors.New("organisation id may hold only a-z, 0-9 and -")
		}
	}
	return nil
}

// Owner returns the organisation a held key's file names, and false if the
// key is not held or its file names none.
func (k *Keyring) Owner(keyID string) (string, bool) {
	if !k.Has(keyID) {
		return "", false
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	h := k.keys[keyID]
	return h.owner, h.owner != ""
}

// Adopt records owner in the file of a held key that names no organisation
// yet (a key written before files named one), rewriting it atomically with
// the same key. It does nothing if the file already names owner, and fails
// with ErrOwnerMismatch if it names another.
func (k *Keyring) Adopt(keyID, owner string) error {
	if err := checkKeyID(keyID); err != nil {
		return fmt.Errorf("vault: adopt key: %w", err)
	}
	if err := checkOwner(owner); err != nil {
		return fmt.Errorf("vault: adopt key %s: %w", keyID, err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	h, ok := k.keys[keyID]
	switch {
	case !ok:
		return fmt.Errorf("vault: adopt key %s: %w", keyID, ErrNoKey)
	case h.owner == owner:
		return nil
	case h.owner != "":
		return fmt.Errorf("vault: adopt key %s: %w", keyID, ErrOwnerMismatch)
	}
	// Another server sharing the directory may have adopted it meanwhile.
	_, onDisk, err := readKeyFile(keyFilePath(k.dir, keyID))
	if err != nil {
		return fmt.Errorf("vault: adopt key %s: %w", keyID, err)
	}
	if onDisk != "" && onDisk != owner {
		return fmt.Errorf("vault: adopt key %s: %w", keyID, ErrOwnerMismatch)
	}
	if onDisk == "" {
		if err := writeKeyFile(k.dir, keyID, h.identity, owner, true); err != nil {
			return fmt.Errorf("vault: adopt key %s: %w", keyID, err)
		}
	}
	h.owner = owner
	k.keys[keyID] = h
	return nil
}
