package image

import (
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Tagged is an image and the reference it is written under.
type Tagged struct {
	Image v1.Image
	Ref   string
}

// WriteLayout writes the images as one OCI image layout in dir (replacing
// what was there), each in the index annotated with its reference so that
// `skopeo copy oci:DIR:REF` and `crane push` find it.
func WriteLayout(dir string, images ...Tagged) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	p, err := layout.Write(dir, idx)
	if err != nil {
		return fmt.Errorf("oci layout %s: %w", dir, err)
	}
	for _, t := range images {
		if err := p.AppendImage(t.Image, layout.WithAnnotations(map[string]string{
			"org.opencontainers.image.ref.name": t.Ref,
		})); err != nil {
			return fmt.Errorf("write image %s to %s: %w", t.Ref, dir, err)
		}
	}
	return nil
}

// WriteTarball writes img as a `docker load` / `podman load` / `kind load
// image-archive` tarball tagged ref.
func WriteTarball(path string, img v1.Image, ref string) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("image reference %q: %w", ref, err)
	}
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
