package image

import (
	"archive/tar"
	"bytes"
	"encoding/pem"
	"fmt"
	"sort"
	"time"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// The account the server runs as. 65532 is the conventional "nonroot" id of
// distroless images, so operators' pod security settings already expect it.
const (
	UID      = 65532
	GID      = 65532
	UserName = "casebridge"
)

// file is one entry of the root filesystem layer.
type file struct {
	path string // without a leading slash
	mode int64
	dir  bool
	body []byte
}

// rootFS lists the whole filesystem: the binaries, an account for the
// non-root user, and the CA bundle; nothing else (no shell, no package
// manager, no writable directory: the root filesystem is mounted read-only).
func rootFS(binaries map[string][]byte) ([]file, error) {
	certs, err := caBundle()
	if err != nil {
		return nil, err
	}
	files := []file{
		{path: "etc", mode: 0o755, dir: true},
		{path: "etc/passwd", mode: 0o644, body: fmt.Appendf(nil,
			"root:x:0:0:root:/nonexistent:/sbin/nologin\n%s:x:%d:%d:Casebridge:/nonexistent:/sbin/nologin\n", UserName, UID, GID)},
		{path: "etc/group", mode: 0o644, body: fmt.Appendf(nil, "root:x:0:\n%s:x:%d:\n", UserName, GID)},
		{path: "etc/ssl", mode: 0o755, dir: true},
		{path: "etc/ssl/certs", mode: 0o755, dir: true},
		{path: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, body: certs},
		{path: "usr", mode: 0o755, dir: true},
		{path: "usr/local", mode: 0o755, dir: true},
		{path: "usr/local/bin", mode: 0o755, dir: true},
	}
	names := make([]string, 0, len(binaries))
	for name := range binaries {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		files = append(files, file{path: "usr/local/bin/" + name, mode: 0o755, body: binaries[name]})
	}
	return files, nil
}

// caBundle is the Mozilla (NSS) root store as pinned by the tools module's
// go.sum, so the image does not depend on the build machine's certificates.
// Roots with a distrust date cannot be expressed in a PEM file and are left
// out, as the system stores of most distributions do.
func caBundle() ([]byte, error) {
	var buf bytes.Buffer
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate}); err != nil {
			return nil, fmt.Errorf("encode CA certificate: %w", err)
		}
	}
	if buf.Len() == 0 {
		return nil, fmt.Errorf("the CA bundle is empty")
	}
	return buf.Bytes(), nil
}

// layerTar writes files as a tar stream with fixed owners and timestamps, so
// equal inputs give byte-identical layers.
func layerTar(files []file, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{
			Name:    f.path,
			Mode:    f.mode,
			ModTime: mtime,
			Format:  tar.FormatPAX,
		}
		if f.dir {
			hdr.Typeflag = tar.TypeDir
			hdr.Name += "/"
		} else {
			hdr.Typeflag = tar.TypeReg
			hdr.Size = int64(len(f.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("tar header %s: %w", f.path, err)
		}
		if _, err := tw.Write(f.body); err != nil {
			return nil, fmt.Errorf("tar body %s: %w", f.path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close tar: %w", err)
	}
	return buf.Bytes(), nil
}
