// Command image compiles casebridged and casebridge-web statically and
// builds their OCI images without a container daemon (see package image),
// writing one OCI layout directory holding both and a loadable tarball of
// each.
//
//	go run ./cmd/image --module .. --out ../bin/image
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/casebridge/casebridge/tools/image"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run() error {
	module := flag.String("module", "..", "the server's module directory")
	out := flag.String("out", "bin/image", "output directory: both images in the OCI layout OUT/oci, tarballs OUT/<name>.tar")
	ref := flag.String("ref", "casebridge/casebridged:dev", "the server's image reference, recorded in the layout and its tarball")
	webRef := flag.String("web-ref", "casebridge/casebridge-web:dev", "the web client's image reference")
	version := flag.String("version", "dev", "version label")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	created, err := sourceDate()
	if err != nil {
		return err
	}
	refs := map[string]string{"casebridged": *ref, "casebridge-web": *webRef}
	var built []image.Tagged
	for _, t := range image.Targets {
		r := refs[t.Name]
		if r == "" {
			return fmt.Errorf("no reference for image %s", t.Name)
		}
		binPath := filepath.Join(*out, t.Name)
		if err := image.Compile(*module, t.Package, binPath); err != nil {
			return err
		}
		bin, err := os.ReadFile(binPath)
		if err != nil {
			return err
		}
		img, err := image.Build(t.Spec(bin, *version, created))
		if err != nil {
			return fmt.Errorf("%s: %w", t.Name, err)
		}
		if err := image.WriteTarball(filepath.Join(*out, t.Name+".tar"), img, r); err != nil {
			return err
		}
		digest, err := img.Digest()
		if err != nil {
			return err
		}
		size, err := image.CompressedSize(img)
		if err != nil {
			return err
		}
		fmt.Printf("%s %s (%.1f MB compressed) in %s\n", r, digest, float64(size)/1e6, *out)
		built = append(built, image.Tagged{Image: img, Ref: r})
	}
	return image.WriteLayout(filepath.Join(*out, "oci"), built...)
}

// sourceDate honours SOURCE_DATE_EPOCH (reproducible-builds.org); unset, the
// epoch itself.
func sourceDate() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH: %w", err)
	}
	return time.Unix(n, 0), nil
}
