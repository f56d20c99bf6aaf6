package authn

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// writeTemp writes data to a new 0600 temporary file in dir (same filesystem
// as the destination, so it can be linked or renamed into place) and returns
// its path. The data is fsynced so that a crash never leaves a half-written
// key behind a final name.
func writeTemp(dir, pattern string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, pattern) // CreateTemp uses mode 0600
	if err != nil {
		return "", fmt.Errorf("create temp file: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("write temp file: %w", err)
	}
	return tmp, nil
}

// createFileAtomic publishes data at path only if path does not exist yet,
// never exposing partial content. It uses link(2), which fails when the
// target exists, so two processes racing to create the same file cannot
// overwrite each other; the loser gets an error matching fs.ErrExist.
func createFileAtomic(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, "."+filepath.Base(path)+".tmp-*", data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Chmod(tmp, perm); err != nil {
		return fmt.Errorf("chmod temp file: %w", err)
	}
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("publish %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// replaceFileAtomic writes data to path, replacing any existing file in one
// rename so that readers see either the old or the new content.
func replaceFileAtomic(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, "."+filepath.Base(path)+".tmp-*", data)
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp, perm); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("chmod temp file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("rename into %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes a new directory entry durable. Failure is ignored: some
// platforms cannot fsync a directory, and the data itself is already synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
