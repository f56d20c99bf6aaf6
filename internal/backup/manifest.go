package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// The files of a backup. The database half and the keyring half are two
// directories, kept apart; each holds the same manifest.
const (
	ManifestFile = "manifest.json"
	DumpFile     = "database.pgdump"
	RolesFile    = "roles.sql"
	// ManifestFormat names this layout; a restore refuses any other.
	ManifestFormat = "casebridge-backup/v1"
)

// Manifest describes one backup pair. It holds ids, public keys and
// checksums only: nothing in it is secret.
type Manifest struct {
	Format    string    `json:"format"`
	CreatedAt time.Time `json:"created_at"`
	// ServerVersion is the casebridged that took the backup.
	ServerVersion string `json:"server_version"`
	// SchemaVersion is the newest migration applied to the database dumped.
	SchemaVersion int64 `json:"schema_version"`
	// Database is the name of the database dumped.
	Database string `json:"database"`
	// Keys are the organisation keys the database names as active or
	// retiring, as of the dump's snapshot: the keys a restore needs.
	Keys []ManifestKey `json:"keys"`
	// AuditChain is the chain's last position and hash in the dump.
	AuditChain ChainHead `json:"audit_chain"`
	// Roles says whether the database half holds roles.sql
	// (pg_dumpall --roles-only), and if not, why.
	Roles string `json:"roles"`
	// DatabaseFiles and KeyringFiles map each file of a half (a path
	// relative to it) to its SHA-256, hex.
	DatabaseFiles map[string]string `json:"database_files"`
	KeyringFiles  map[string]string `json:"keyring_files"`
}

// ManifestKey is one organisation key the database needs.
type ManifestKey struct {
	ID           string `json:"id"`
	Organization string `json:"organization"`
	State        string `json:"state"` // active or retiring
	// Recipient is the key's public half (age1...), as the database holds it.
	Recipient string `json:"recipient"`
	// Fingerprint is the SHA-256 of Recipient, hex: the key file in the
	// keyring half must hold the private key of this public key.
	Fingerprint string `json:"fingerprint"`
}

// ChainHead is the audit chain's last linked position and its hash.
type ChainHead struct {
	Position int64  `json:"position"`
	Hash     string `json:"hash"`
}

// Fingerprint is a key's fingerprint: the SHA-256 of its recipient, hex.
func Fingerprint(recipient string) string {
	sum := sha256.Sum256([]byte(recipient))
	return hex.EncodeToString(sum[:])
}

func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o600)
}

// ReadManifest reads the manifest of a backup half.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s holds no %s: not a casebridged backup", dir, ManifestFile)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	if m.Format != ManifestFormat {
		return nil, fmt.Errorf("%s: format %q, want %q", filepath.Join(dir, ManifestFile), m.Format, ManifestFormat)
	}
	return &m, nil
}

// checksums returns the SHA-256 of every regular file of dir but the
// manifest, by path relative to dir.
func checksums(dir string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == ManifestFile {
			return err
		}
		sum, err := fileSum(path)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = sum
		return nil
	})
	return out, err
}

func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkFiles compares the files of a half with the checksums the manifest
// recorded, naming every file missing, changed or added.
func checkFiles(dir, half string, want map[string]string) error {
	got, err := checksums(dir)
	if err != nil {
		return fmt.Errorf("read the %s half: %w", half, err)
	}
	var problems []string
	for name, sum := range want {
		switch g, ok := got[name]; {
		case !ok:
			problems = append(problems, name+" is missing")
		case g != sum:
			problems = append(problems, name+" does not match its checksum")
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			problems = append(problems, name+" is not in the manifest")
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("the %s half (%s) is not the one the manifest describes: %v", half, dir, problems)
	}
	return nil
}

// prepareDir creates dir (mode 0700) or accepts it empty: a backup never
// mixes with files already there.
func prepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty: a backup goes into a new directory", dir)
	}
	return os.Chmod(dir, 0o700)
}
