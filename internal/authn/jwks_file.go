package authn

import (
	"fmt"
	"os"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// maxJWKSFileSize bounds how much of a JWKS file is read; real key sets are
// a few kilobytes, so anything larger is a wrong path.
const maxJWKSFileSize = 1 << 20

// loadJWKSFile reads and vets a JWKS file. It is read once at start (and on
// Verifier.Reload); the file is not watched, which keeps key changes an
// explicit operator action.
func loadJWKSFile(path string) (jwk.Set, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("authn: JWKS file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("authn: JWKS file %s is not a regular file", path)
	}
	if info.Size() > maxJWKSFileSize {
		return nil, fmt.Errorf("authn: JWKS file %s is larger than %d bytes", path, maxJWKSFileSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("authn: read JWKS file: %w", err)
	}
	set, err := jwk.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("authn: parse JWKS file %s: %w", path, err)
	}
	usable, err := usableSet(set)
	if err != nil {
		return nil, fmt.Errorf("authn: JWKS file %s: %w", path, err)
	}
	return usable, nil
}
