package vault

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"filippo.io/age"
)

const (
	// keyFileExt is the suffix of organisation key files: <keyID>.agekey.
	keyFileExt = ".agekey"
	// keyFileMode is the only access a key file may grant.
	keyFileMode fs.FileMode = 0o600
	// maxKeyFileSize caps how much of a key file is read; a real one is ~75 bytes.
	maxKeyFileSize = 4096
)

// keyFilePath names the file holding the key with the given (validated) id.
func keyFilePath(dir, keyID string) string {
	return filepath.Join(dir, keyID+keyFileExt)
}

// readKeyFile loads one X25519 identity and the organisation its file
// names (see ownerPrefix; "" if none). It follows symlinks (secret volumes
// are usually symlink farms), refuses files that group or others may
// access, and never puts key text into an error message.
func readKeyFile(path string) (*age.X25519Identity, string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("stat: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, "", errors.New("not a regular file")
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, "", fmt.Errorf("mode %04o grants access to group or others; want %04o", perm, keyFileMode)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	defer clear(data)
	if err != nil {
		return nil, "", fmt.Errorf("read: %w", err)
	}
	if len(data) > maxKeyFileSize {
		return nil, "", fmt.Errorf("larger than %d bytes", maxKeyFileSize)
	}

	var keyLine []byte
	owner := ""
	for line := range bytes.Lines(data) {
		line = bytes.TrimSpace(line)
		if o, ok := bytes.CutPrefix(line, []byte(ownerPrefix)); ok {
			if owner != "" || checkOwner(string(o)) != nil {
				return nil, "", errors.New("malformed or repeated organisation line")
			}
			owner = string(o)
			continue
		}
		if len(line) == 0 || line[0] == '#' {
			continue // age-keygen style comments are tolerated
		}
		if keyLine != nil {
			return nil, "", errors.New("holds more than one key line")
		}
		keyLine = line
	}
	if keyLine == nil {
		return nil, "", errors.New("holds no key line")
	}
	id, err := age.ParseX25519Identity(string(keyLine))
	if err != nil {
		// The parser's message can quote characters of the key: drop it.
		return nil, "", errors.New("malformed AGE-SECRET-KEY line")
	}
	return id, owner, nil
}

// writeKeyFile stores id as dir/<keyID>.agekey with mode 0600, naming its
// organisation owner (if not ""). It writes a temporary file, syncs it and
// renames it into place so a crash never leaves a truncated key (losing an
// organisation key loses every case wrapped to it). An existing file is
// overwritten only if replace is set (to add the organisation line to a
// file that had none; the key itself never changes).
func writeKeyFile(dir, keyID string, id *age.X25519Identity, owner string, replace bool) (err error) {
	final := keyFilePath(dir, keyID)
	if _, err := os.Lstat(final); err == nil && !replace {
		return fmt.Errorf("%s: %w", final, fs.ErrExist)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("stat %s: %w", final, err)
	}

	// The temporary name has no .agekey suffix and starts with a dot, so a
	// concurrent LoadKeyring never picks it up.
	f, err := os.CreateTemp(dir, ".agekey-*.tmp")
	if err != nil {
		return fmt.Errorf("create temporary key file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(keyFileMode); err != nil {
		return fmt.Errorf("chmod temporary key file: %w", err)
	}
	content := id.String() + "\n"
	if owner != "" {
		content = ownerPrefix + owner + "\n" + content
	}
	if _, err := io.WriteString(f, content); err != nil {
		return fmt.Errorf("write temporary key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync temporary key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close temporary key file: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("rename key file into place: %w", err)
	}
	if err := syncDir(dir); err != nil {
		if !replace {
			os.Remove(final)
		}
		return err
	}
	return nil
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open key directory for sync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync key directory: %w", err)
	}
	return nil
}
