package image

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Ports are the server's container ports: the gRPC API and the admin
// listener (metrics, pprof, plaintext health for probes).
var Ports = []string{"7443", "9090"}

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
