// Command image compiles casebridged statically and builds its OCI image
// without a container daemon (see package image), writing an OCI layout
// directory and a loadable tarball.
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
	out := flag.String("out", "bin/image", "output directory: OCI layout in OUT/oci, tarball OUT/casebridged.tar")
	ref := flag.String("ref", "casebridge/casebridged:dev", "image reference recorded in the layout and the tarball")
	version := flag.String("version", "dev", "version label")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	binPath := filepath.Join(*out, "casebridged")
	if err := image.Compile(*module, "./cmd/casebridged", binPath); err != nil {
		return err
	}
	bin, err := os.ReadFile(binPath)
	if err != nil {
		return err
	}
	created, err := sourceDate()
	if err != nil {
		return err
	}
	img, err := image.Build(image.Spec{
		Binaries:   map[string][]byte{"casebridged": bin},
		Entrypoint: "casebridged",
		Ports:      image.Ports,
		Version:    *version,
		Created:    created,
	})
	if err != nil {
		return err
	}
	if err := image.WriteLayout(filepath.Join(*out, "oci"), img, *ref); err != nil {
		return err
	}
	if err := image.WriteTarball(filepath.Join(*out, "casebridged.tar"), img, *ref); err != nil {
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
	fmt.Printf("%s %s (%.1f MB compressed) in %s\n", *ref, digest, float64(size)/1e6, *out)
	return nil
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
