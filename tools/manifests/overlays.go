package manifests

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// SchemaDirEnv names the environment variable holding the CRD schema
// directory (the CloudNativePG and Barman Cloud Plugin releases' CRDs).
const SchemaDirEnv = "CASEBRIDGE_SCHEMA_DIR"

// Overlays lists root/base and every root/overlays/* directory.
func Overlays(root string) ([]string, error) {
	dirs := []string{filepath.Join(root, "base")}
	entries, err := os.ReadDir(filepath.Join(root, "overlays"))
	if err != nil {
		return nil, fmt.Errorf("overlays: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		dirs = append(dirs, filepath.Join(root, "overlays", n))
	}
	return dirs, nil
}
