package image

import (
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Target is one image that make image builds: a command of the server's
// module, alone in its image.
type Target struct {
	// Name is the binary's and the image's name.
	Name string
	// Package is the command's import path relative to the module.
	Package     string
	Description string
	// Ports are its container ports (documentation only).
	Ports []string
}

// Targets are Casebridge's images. The server's ports are the gRPC API,
// the Connect and gRPC-Web listener and the admin listener (metrics,
// pprof, plaintext health for probes); the web client serves its pages
// over HTTPS on one port.
var Targets = []Target{
	{Name: "casebridged", Package: "./cmd/casebridged", Description: "Casebridge case-management server", Ports: []string{"7443", "8443", "9090"}},
	{Name: "casebridge-web", Package: "./cmd/casebridge-web", Description: "Casebridge in the browser: the web client of casebridged's API", Ports: []string{WebPort}},
}

// WebPort is the web client's port in its image, where the deployment
// files have it listen (--listen 0.0.0.0:8080).
const WebPort = "8080"

// Spec is the image of t holding bin as its only binary.
func (t Target) Spec(bin []byte, version string, created time.Time) Spec {
	return Spec{
		Binaries:    map[string][]byte{t.Name: bin},
		Entrypoint:  t.Name,
		Title:       t.Name,
		Description: t.Description,
		Ports:       t.Ports,
		Version:     version,
		Created:     created,
	}
}

// CompressedSize is the sum of the image's compressed layers, what a
// registry stores and a node pulls.
func CompressedSize(img v1.Image) (int64, error) {
	layers, err := img.Layers()
	if err != nil {
		return 0, fmt.Errorf("layers: %w", err)
	}
	var total int64
	for _, l := range layers {
		n, err := l.Size()
		if err != nil {
			return 0, fmt.Errorf("layer size: %w", err)
		}
		total += n
	}
	return total, nil
}
