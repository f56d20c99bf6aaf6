package image

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Compile builds a command of the module in moduleDir (pkg like
// "./cmd/casebridged") as a static, reproducible linux/amd64 binary at out:
// no cgo (the image has no libc), no paths of the build machine, no build id.
func Compile(moduleDir, pkg, out string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags=-s -w -buildid=", "-o", abs, pkg)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s in %s: %w", pkg, moduleDir, err)
	}
	return nil
}
