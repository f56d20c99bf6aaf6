package image

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

var (
	serverOnce sync.Once
	serverBin  []byte
	serverErr  error
)

// server compiles the real casebridged once for all tests, as make image does.
func server(t *testing.T) []byte {
	t.Helper()
	serverOnce.Do(func() {
		dir, err := os.MkdirTemp("", "casebridged-image")
		if err != nil {
			serverErr = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "casebridged")
		if serverErr = Compile("../..", "./cmd/casebridged", out); serverErr == nil {
			serverBin, serverErr = os.ReadFile(out)
		}
	})
	if serverErr != nil {
		t.Fatal(serverErr)
	}
	return serverBin
}

func build(t *testing.T) v1.Image {
	t.Helper()
	img, err := Build(Spec{Binaries: map[string][]byte{"casebridged": server(t)}, Entrypoint: "casebridged", Ports: Ports, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// files reads the image's filesystem: headers and contents by absolute path.
func files(t *testing.T, img v1.Image) (map[string]*tar.Header, map[string][]byte) {
	t.Helper()
	contents := map[string]*tar.Header{}
	bodies := map[string][]byte{}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			name := path.Clean("/" + hdr.Name)
			contents[name] = hdr
			body, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			bodies[name] = body
		}
		rc.Close()
	}
	return contents, bodies
}

func TestImageRunsAsNonRootWithoutShellOrSecrets(t *testing.T) {
	img := build(t)
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Config.User != "65532:65532" {
		t.Errorf("user = %q, want the non-root 65532:65532", cfg.Config.User)
	}
	if got := strings.Join(cfg.Config.Entrypoint, " "); got != "/usr/local/bin/casebridged" {
		t.Errorf("entrypoint = %q", got)
	}
	if len(cfg.Config.Cmd) != 0 || cfg.Config.Shell != nil {
		t.Errorf("cmd %q / shell %q: the image must not rely on a shell", cfg.Config.Cmd, cfg.Config.Shell)
	}
	if cfg.OS != "linux" || cfg.Architecture != "amd64" {
		t.Errorf("platform %s/%s", cfg.OS, cfg.Architecture)
	}
	for _, e := range cfg.Config.Env {
		name, _, _ := strings.Cut(e, "=")
		for _, bad := range []string{"PASSWORD", "SECRET", "TOKEN", "KEY", "DATABASE_URL"} {
			if strings.Contains(strings.ToUpper(name), bad) {
				t.Errorf("environment variable %s baked into the image", name)
			}
		}
	}

	fs, bodies := files(t, img)
	want := map[string]bool{
		"/etc": true, "/etc/passwd": true, "/etc/group": true, "/etc/ssl": true, "/etc/ssl/certs": true,
		"/etc/ssl/certs/ca-certificates.crt": true, "/usr": true, "/usr/local": true, "/usr/local/bin": true,
		"/usr/local/bin/casebridged": true,
	}
	for name, hdr := range fs {
		if !want[name] {
			t.Errorf("unexpected file %s in the image", name)
		}
		if hdr.Uid != 0 || hdr.Gid != 0 || hdr.Mode&0o022 != 0 {
			t.Errorf("%s: owner %d:%d mode %o: the runtime user must not be able to change the image's files", name, hdr.Uid, hdr.Gid, hdr.Mode)
		}
		if base := path.Base(name); base == "sh" || base == "bash" || base == "busybox" || base == "ash" {
			t.Errorf("shell %s in the image", name)
		}
		body := bodies[name]
		for _, secret := range []string{"AGE-SECRET-KEY-", "PRIVATE KEY-----", "postgres://", "postgresql://"} {
			if name != "/usr/local/bin/casebridged" && bytes.Contains(body, []byte(secret)) {
				t.Errorf("%s contains %q", name, secret)
			}
		}
	}
	for name := range want {
		if fs[name] == nil {
			t.Errorf("%s missing from the image", name)
		}
	}
	if !bytes.Contains(bodies["/etc/passwd"], []byte("casebridge:x:65532:65532:")) {
		t.Errorf("/etc/passwd has no entry for the runtime user:\n%s", bodies["/etc/passwd"])
	}
	if n := bytes.Count(bodies["/etc/ssl/certs/ca-certificates.crt"], []byte("BEGIN CERTIFICATE")); n < 100 {
		t.Errorf("CA bundle holds %d certificates", n)
	}

	// Static: no program interpreter and no shared libraries, since the
	// image has no libc.
	bin := bodies["/usr/local/bin/casebridged"]
	ef, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("casebridged is dynamically linked (has PT_INTERP)")
		}
	}
	if libs, _ := ef.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("casebridged needs %v", libs)
	}

	// The entrypoint works: the binary taken out of the image runs.
	exe := filepath.Join(t.TempDir(), "casebridged")
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(exe, "migrate", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "database-url") {
		t.Errorf("casebridged from the image: %v\n%s", err, out)
	}

	size, err := CompressedSize(img)
	if err != nil {
		t.Fatal(err)
	}
	if size > 40<<20 {
		t.Errorf("image is %d bytes compressed, want under 40 MiB", size)
	}
	t.Logf("image: %.1f MB compressed", float64(size)/1e6)
}

func TestImageIsReproducible(t *testing.T) {
	a, err := build(t).Digest()
	if err != nil {
		t.Fatal(err)
	}
	b, err := build(t).Digest()
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("two builds of the same binary differ: %s and %s", a, b)
	}
}

func TestLayoutAndTarballHoldTheImage(t *testing.T) {
	img := build(t)
	want, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteLayout(filepath.Join(dir, "oci"), img, "casebridge/casebridged:test"); err != nil {
		t.Fatal(err)
	}
	idx, err := layout.ImageIndexFromPath(filepath.Join(dir, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].Digest != want || m.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "casebridge/casebridged:test" {
		t.Fatalf("layout index %+v, want one manifest %s", m.Manifests, want)
	}
	tb := filepath.Join(dir, "casebridged.tar")
	if err := WriteTarball(tb, img, "casebridge/casebridged:test"); err != nil {
		t.Fatal(err)
	}
	loaded, err := tarball.ImageFromPath(tb, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := loaded.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Config.User != "65532:65532" {
		t.Fatalf("tarball image user %q", cfg.Config.User)
	}
}
