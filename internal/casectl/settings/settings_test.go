package settings

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSaveIsOwnerOnlyAndRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "config.json")
	want := Settings{Server: "127.0.0.1:7443", Insecure: true, Token: "tok", Subject: "caseworker@shelter-a"}
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("file mode %04o, want 0600", perm)
	}
	dirInfo, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if perm := dirInfo.Mode().Perm(); perm != 0o700 {
		t.Errorf("directory mode %04o, want 0700", perm)
	}
	got, err := Load(path)
	if err != nil || got != want {
		t.Fatalf("Load = %+v, %v; want %+v", got, err, want)
	}
	// Replacing keeps the mode, even over a file someone made readable.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	want.Token = "tok2"
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("after replace: mode %04o, want 0600", info.Mode().Perm())
	}
}

func TestLoadMissingIsEmpty(t *testing.T) {
	s, err := Load(filepath.Join(t.TempDir(), "none.json"))
	if err != nil || s != (Settings{}) {
		t.Fatalf("Load of a missing file = %+v, %v", s, err)
	}
}

func TestPathHonoursEnvironment(t *testing.T) {
	p, err := Path(func(k string) string {
		if k == EnvPath {
			return "/tmp/x.json"
		}
		return ""
	})
	if err != nil || p != "/tmp/x.json" {
		t.Fatalf("Path = %q, %v", p, err)
	}
}
