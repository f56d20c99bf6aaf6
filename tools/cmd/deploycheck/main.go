// Command deploycheck validates the deployment files without a cluster or a
// container engine: every Kubernetes overlay (rendered with kustomize's Go
// module) and the pilot's compose file. See packages manifests and compose.
//
//	go run ./cmd/deploycheck --schemas DIR   # DIR holds the CRD schemas
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/casebridge/casebridge/tools/compose"
	"github.com/casebridge/casebridge/tools/manifests"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "deploycheck:", err)
		os.Exit(1)
	}
}

func run() error {
	schemas := flag.String("schemas", os.Getenv(manifests.SchemaDirEnv), "directory of the CloudNativePG and Barman Cloud Plugin CRDs (env "+manifests.SchemaDirEnv+")")
	kube := flag.String("kubernetes", "../deploy/kubernetes", "kustomize tree: base/ and overlays/*")
	composeFile := flag.String("compose", "../deploy/compose/compose.yaml", "the pilot's compose file")
	flag.Parse()
	if *schemas == "" {
		return fmt.Errorf("--schemas (or %s) is required", manifests.SchemaDirEnv)
	}
	crds, err := manifests.LoadCRDs(*schemas)
	if err != nil {
		return err
	}
	dirs, err := manifests.Overlays(*kube)
	if err != nil {
		return err
	}
	failed := false
	for _, dir := range dirs {
		r, err := manifests.Check(dir, crds)
		if err != nil {
			failed = true
			fmt.Fprintf(os.Stderr, "%s: INVALID\n%v\n", dir, err)
			continue
		}
		fmt.Printf("%s: %d objects valid\n", filepath.Base(dir), len(r.Objects))
	}
	env := map[string]string{"CASEBRIDGE_JWT_ISSUER": "https://id.example.org"}
	if err := compose.Check(context.Background(), *composeFile, env); err != nil {
		failed = true
		fmt.Fprintf(os.Stderr, "%s: INVALID\n%v\n", *composeFile, err)
	} else {
		fmt.Printf("%s: valid\n", filepath.Base(*composeFile))
	}
	if failed {
		return fmt.Errorf("deployment files are invalid")
	}
	return nil
}
