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
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

var (
	binMu   sync.Mutex
	binOnce = map[string]*sync.Once{}
	bins    = map[string][]byte{}
	binErrs = map[string]error{}
)

// binary compiles the real command of target once for all tests, as make
// image does.
func binary(t *testing.T, target Target) []byte {
	t.Helper()
	binMu.Lock()
	once := binOnce[target.Name]
	if once == nil {
		once = new(sync.Once)
		binOnce[target.Name] = once
	}
	binMu.Unlock()
	once.Do(func() {
		var bin []byte
		dir, err := os.MkdirTemp("", "casebridge-image")
		if err == nil {
			defer os.RemoveAll(dir)
			out := filepath.Join(dir, target.Name)
			if err = Compile("../..", target.Package, out); err == nil {
				bin, err = os.ReadFile(out)
			}
		}
		binMu.Lock()
		bins[target.Name], binErrs[target.Name] = bin, err
		binMu.Unlock()
	})
	binMu.Lock()
	defer binMu.Unlock()
	if err := binErrs[target.Name]; err != nil {
		t.Fatal(err)
	}
	return bins[target.Name]
}

func target(t *testing.T, name string) Target {
	t.Helper()
	for _, tg := range Targets {
		if tg.Name == name {
			return tg
		}
	}
	t.Fatalf("no image target %s", name)
	return Target{}
}

func buildTarget(t *testing.T, tg Target) v1.Image {
	t.Helper()
	img, err := Build(tg.Spec(binary(t, tg), "test", time.Time{}))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func build(t *testing.T) v1.Image { return buildTarget(t, target(t, "casebridged")) }

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

// TestImageRunsAsNonRootWithoutShellOrSecrets inspects each image make
// image builds, the server and the web client: the user, the entrypoint,
// no shell and nothing else in the filesystem than the one binary, the CA
// bundle and passwd, no secret, a static binary that runs.
func TestImageRunsAsNonRootWithoutShellOrSecrets(t *testing.T) {
	runs := map[string]struct {
		args []string
		says string
	}{
		"casebridged":    {[]string{"migrate", "--help"}, "database-url"},
		"casebridge-web": {[]string{"--help"}, "session-key-file"},
	}
	if len(Targets) != len(runs) {
		t.Fatalf("%d image targets, the test knows %d", len(Targets), len(runs))
	}
	for _, tg := range Targets {
		t.Run(tg.Name, func(t *testing.T) {
			run, ok := runs[tg.Name]
			if !ok {
				t.Fatalf("no check for image %s", tg.Name)
			}
			img := buildTarget(t, tg)
			bin := "/usr/local/bin/" + tg.Name
			cfg, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Config.User != "65532:65532" {
				t.Errorf("user = %q, want the non-root 65532:65532", cfg.Config.User)
			}
			if got := strings.Join(cfg.Config.Entrypoint, " "); got != bin {
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
				bin: true,
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
					if name != bin && bytes.Contains(body, []byte(secret)) {
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
			exeBody := bodies[bin]
			ef, err := elf.NewFile(bytes.NewReader(exeBody))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ef.Progs {
				if p.Type == elf.PT_INTERP {
					t.Errorf("%s is dynamically linked (has PT_INTERP)", tg.Name)
				}
			}
			if libs, _ := ef.ImportedLibraries(); len(libs) > 0 {
				t.Errorf("%s needs %v", tg.Name, libs)
			}
			// The image has no zoneinfo directory, and both binaries show or
			// check times in courts' zones: time/tzdata must be linked in (its
			// zip stores each zone's name right before its TZif data).
			if !bytes.Contains(exeBody, []byte("Europe/BelgradeTZif")) {
				t.Errorf("%s has no embedded time-zone database (import time/tzdata)", tg.Name)
			}

			// The entrypoint works: the binary taken out of the image runs.
			exe := filepath.Join(t.TempDir(), tg.Name)
			if err := os.WriteFile(exe, exeBody, 0o755); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(exe, run.args...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), run.says) {
				t.Errorf("%s %v from the image: %v\n%s", tg.Name, run.args, err, out)
			}
			if got := cfg.Config.Labels["org.opencontainers.image.title"]; got != tg.Name {
				t.Errorf("title label %q", got)
			}

			size, err := CompressedSize(img)
			if err != nil {
				t.Fatal(err)
			}
			if size > 40<<20 {
				t.Errorf("image is %d bytes compressed, want under 40 MiB", size)
			}
			t.Logf("image %s: %.1f MB compressed", tg.Name, float64(size)/1e6)
		})
	}
}

func TestImageIsReproducible(t *testing.T) {
	for _, tg := range Targets {
		a, err := buildTarget(t, tg).Digest()
		if err != nil {
			t.Fatal(err)
		}
		b, err := buildTarget(t, tg).Digest()
		if err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Fatalf("%s: two builds of the same binary differ: %s and %s", tg.Name, a, b)
		}
	}
}

// TestLayoutAndTarballHoldTheImages: the one OCI layout holds both images,
// each under its reference, and each tarball loads as its image.
func TestLayoutAndTarballHoldTheImages(t *testing.T) {
	server, web := build(t), buildTarget(t, target(t, "casebridge-web"))
	refs := map[string]v1.Image{"casebridge/casebridged:test": server, "casebridge/casebridge-web:test": web}
	dir := t.TempDir()
	if err := WriteLayout(filepath.Join(dir, "oci"),
		Tagged{server, "casebridge/casebridged:test"}, Tagged{web, "casebridge/casebridge-web:test"}); err != nil {
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
	if len(m.Manifests) != len(refs) {
		t.Fatalf("layout index %+v, want %d manifests", m.Manifests, len(refs))
	}
	for _, d := range m.Manifests {
		ref := d.Annotations["org.opencontainers.image.ref.name"]
		img, ok := refs[ref]
		if !ok {
			t.Errorf("layout holds %s under %q", d.Digest, ref)
			continue
		}
		if want, _ := img.Digest(); d.Digest != want {
			t.Errorf("%s: digest %s, want %s", ref, d.Digest, want)
		}
	}
	for ref, img := range refs {
		tb := filepath.Join(dir, path.Base(strings.Split(ref, ":")[0])+".tar")
		if err := WriteTarball(tb, img, ref); err != nil {
			t.Fatal(err)
		}
		loaded, err := tarball.ImageFromPath(tb, nil)
		if err != nil {
			t.Fatal(err)
		}
		// A docker-load tarball keeps the config, not the OCI manifest:
		// the config's digest names the image in it.
		got, _ := loaded.ConfigName()
		if want, _ := img.ConfigName(); got != want {
			t.Errorf("%s: tarball holds config %s, want %s", ref, got, want)
		}
		cfg, err := loaded.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Config.User != "65532:65532" {
			t.Fatalf("%s: tarball image user %q", ref, cfg.Config.User)
		}
	}
}
