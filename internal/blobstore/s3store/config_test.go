package s3store

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const secret = "s3cr3t-value-that-must-not-print"

func goodConfig() Config {
	return Config{
		Endpoint:    "https://objects.example.org",
		Bucket:      "casebridge-documents",
		Credentials: Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: secret},
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		want string // "" means valid
	}{
		{"good", func(*Config) {}, ""},
		{"http on a private network", func(c *Config) { c.Endpoint = "http://minio:9000" }, ""},
		{"trailing slash", func(c *Config) { c.Endpoint = "https://objects.example.org/" }, ""},
		{"no endpoint", func(c *Config) { c.Endpoint = "" }, "s3 endpoint is required"},
		{"no scheme", func(c *Config) { c.Endpoint = "objects.example.org:9000" }, "s3 endpoint: want an http:// or https:// URL"},
		{"other scheme", func(c *Config) { c.Endpoint = "ftp://objects.example.org" }, "s3 endpoint: want an http:// or https:// URL"},
		{"key pair in the URL", func(c *Config) { c.Endpoint = "https://AKID:" + secret + "@objects.example.org" }, "no credentials in the URL"},
		{"bucket in the path", func(c *Config) { c.Endpoint = "https://objects.example.org/casebridge" }, "no path"},
		{"no bucket", func(c *Config) { c.Bucket = "" }, "s3 bucket: want"},
		{"upper-case bucket", func(c *Config) { c.Bucket = "Documents" }, "s3 bucket: want"},
		{"bucket ending in a dash", func(c *Config) { c.Bucket = "documents-" }, "s3 bucket: want"},
		{"no secret", func(c *Config) { c.Credentials.SecretAccessKey = "" }, "s3 credentials are required"},
		{"no key id", func(c *Config) { c.Credentials.AccessKeyID = "" }, "s3 credentials are required"},
		{"part below S3's minimum", func(c *Config) { c.PartSize = 1 << 20 }, "s3 part size"},
		{"no concurrency", func(c *Config) { c.Concurrency = -1 }, "s3 upload concurrency"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := goodConfig()
			tc.edit(&cfg)
			err := cfg.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate: %v, want an error saying %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Fatalf("Validate's error repeats the secret: %v", err)
			}
		})
	}
}

// A configuration can be printed or logged whole: the key pair never shows.
func TestCredentialsNeverPrint(t *testing.T) {
	cfg := goodConfig()
	var logged bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logged, nil))
	log.Info("s3", "config", cfg, "credentials", cfg.Credentials)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("s3", "config", cfg)
	for _, out := range []string{
		fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%v", cfg.Credentials),
		fmt.Sprintf("%s", cfg.Credentials), fmt.Sprintf("%#v", cfg.Credentials), logged.String(),
	} {
		if strings.Contains(out, secret) || strings.Contains(out, "AKIDEXAMPLE") {
			t.Errorf("printed key pair: %s", out)
		}
	}
	if !strings.Contains(logged.String(), "(redacted)") {
		t.Errorf("log %s: want the key pair shown as (redacted)", logged.String())
	}
}

func TestReadCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name, body string
		want       string // error text; "" means valid
	}{
		{"good", "# from the secret store\naccess_key_id = AKIDEXAMPLE\n\nsecret_access_key=" + secret + "\n", ""},
		{"no secret", "access_key_id = AKIDEXAMPLE\n", "needs both"},
		{"unknown key", "access_key_id = AKIDEXAMPLE\nsecret = " + secret + "\n", "line 2: unknown key"},
		{"not key = value", "access_key_id AKIDEXAMPLE\n", "line 1: want key = value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ReadCredentialsFile(write(tc.name, tc.body))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.AccessKeyID != "AKIDEXAMPLE" || c.SecretAccessKey != secret {
					t.Fatalf("read %q / (a secret of %d bytes)", c.AccessKeyID, len(c.SecretAccessKey))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "AKIDEXAMPLE") {
				t.Fatalf("error repeats a value: %v", err)
			}
		})
	}
	if _, err := ReadCredentialsFile(filepath.Join(dir, "absent")); err == nil {
		t.Fatal("absent file: no error")
	}
}
