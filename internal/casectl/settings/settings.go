// Package settings keeps what 'casectl login' remembers — the server, how
// to reach it over TLS, and the bearer token — in one JSON file that only
// its owner can read: the token lets anyone holding it act as that person
// on victims' cases.
package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// EnvPath names the environment variable that overrides the file's place
// (one file per user in tests and on shared machines).
const EnvPath = "CASECTL_CONFIG"

// Settings is the content of the file.
type Settings struct {
	// Server is host:port of casebridged.
	Server string `json:"server,omitempty"`
	// Insecure speaks plaintext gRPC: only for a dev-mode server.
	Insecure bool `json:"insecure,omitempty"`
	// CAFile is a PEM bundle to verify the server with instead of the
	// system's roots.
	CAFile string `json:"ca_file,omitempty"`
	// CertFile and KeyFile are a client certificate, for a server that
	// requires one.
	CertFile string `json:"cert_file,omitempty"`
	KeyFile  string `json:"key_file,omitempty"`
	// Token is the bearer token sent with every call.
	Token string `json:"token,omitempty"`
	// Subject is who the token belongs to, as the server said at login;
	// shown to the user, never trusted.
	Subject string `json:"subject,omitempty"`
}

// Path is where the settings live: $CASECTL_CONFIG, or
// casebridge/config.json in the user's configuration directory.
func Path(getenv func(string) string) (string, error) {
	if p := getenv(EnvPath); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the configuration directory (set %s to choose a file): %w", EnvPath, err)
	}
	return filepath.Join(dir, "casebridge", "config.json"), nil
}

// Load reads the settings at path. A missing file is empty settings, not
// an error: nobody has logged in yet.
func Load(path string) (Settings, error) {
	var s Settings
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read settings: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("read settings %s: %w", path, err)
	}
	return s, nil
}

// Save writes s to path with mode 0600 (its directory 0700 when created),
// replacing the old file atomically so that a crash never leaves half a
// token behind.
func Save(path string, s Settings) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create settings directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".config-*.json") // created 0600
	if err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save settings: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save settings: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save settings: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return nil
}
