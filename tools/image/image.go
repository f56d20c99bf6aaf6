// Package image builds Casebridge's OCI images (the server and the web
// client, see Targets) without a container daemon or a base image: one
// layer holding static binaries, a CA bundle and a passwd entry for the
// non-root user, with fixed timestamps so that the same binaries always give
// the same digest.
package image

import (
	"bytes"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Spec says what goes into an image.
type Spec struct {
	// Binaries maps a file name under /usr/local/bin to its content; they
	// must be statically linked (the image has no libc).
	Binaries map[string][]byte
	// Entrypoint is the binary started by the container (a key of Binaries).
	Entrypoint string
	// Title and Description go into the org.opencontainers.image labels;
	// Title defaults to Entrypoint.
	Title, Description string
	// Ports are exposed TCP ports, documentation only ("7443").
	Ports []string
	// Version goes into the org.opencontainers.image.version label.
	Version string
	// Created is the image's creation time and every file's mtime; the zero
	// value means the Unix epoch (reproducible builds).
	Created time.Time
}

// Build assembles the image described by spec.
func Build(spec Spec) (v1.Image, error) {
	if _, ok := spec.Binaries[spec.Entrypoint]; !ok {
		return nil, fmt.Errorf("entrypoint %q is not among the binaries", spec.Entrypoint)
	}
	created := spec.Created
	if created.IsZero() {
		created = time.Unix(0, 0)
	}
	created = created.UTC()
	files, err := rootFS(spec.Binaries)
	if err != nil {
		return nil, err
	}
	tarBytes, err := layerTar(files, created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tarBytes)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: created}, CreatedBy: "casebridge tools/image", Comment: "static binaries, CA bundle, passwd"},
	})
	if err != nil {
		return nil, fmt.Errorf("append layer: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg = cfg.DeepCopy()
	cfg.Created = v1.Time{Time: created}
	cfg.Architecture = "amd64"
	cfg.OS = "linux"
	cfg.Config.User = fmt.Sprintf("%d:%d", UID, GID)
	cfg.Config.Entrypoint = []string{"/usr/local/bin/" + spec.Entrypoint}
	cfg.Config.Cmd = nil
	cfg.Config.WorkingDir = "/"
	cfg.Config.Env = []string{"PATH=/usr/local/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	cfg.Config.ExposedPorts = map[string]struct{}{}
	for _, p := range spec.Ports {
		cfg.Config.ExposedPorts[p+"/tcp"] = struct{}{}
	}
	title := spec.Title
	if title == "" {
		title = spec.Entrypoint
	}
	cfg.Config.Labels = map[string]string{
		"org.opencontainers.image.title":       title,
		"org.opencontainers.image.description": spec.Description,
		"org.opencontainers.image.version":     spec.Version,
	}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("set config: %w", err)
	}
	return img, nil
}
