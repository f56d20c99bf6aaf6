package s3store

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
)

// Part sizes: S3 refuses a multipart part below 5 MiB (except the last),
// and an upload of more than 10,000 parts.
const (
	MinPartSize     = 5 << 20
	DefaultPartSize = 8 << 20
	maxParts        = 10_000
	// DefaultConcurrency is how many parts of one upload are in flight: two
	// keep the connection busy while the next part is read, and bound one
	// upload's memory to two parts.
	DefaultConcurrency = 2
	// DefaultRegion is what S3-compatible servers answer to when no region
	// is configured.
	DefaultRegion = "us-east-1"
)

// Config is where the store keeps its objects and how it reaches them.
type Config struct {
	// Endpoint is the server's URL: https://host[:port] (http:// only for a
	// server on the same host or a private network; objects are ciphertext,
	// but the key pair signs every request).
	Endpoint string
	// Region is the signing region; empty: DefaultRegion.
	Region string
	// Bucket holds the objects; it must exist (the operator creates it,
	// with its own retention and access rules).
	Bucket string
	// VirtualHostedStyle addresses the bucket as a host name
	// (bucket.host) instead of a path (host/bucket). S3-compatible servers
	// expect paths, AWS S3 host names.
	VirtualHostedStyle bool
	// Credentials is the key pair requests are signed with.
	Credentials Credentials
	// PartSize is the size of one multipart part, and the largest object
	// stored with a single request; 0: DefaultPartSize.
	PartSize int64
	// Concurrency is how many parts of one upload are sent at once;
	// 0: DefaultConcurrency. One upload holds at most Concurrency parts in
	// memory.
	Concurrency int
}

// Credentials is an S3 key pair. It never prints: String and LogValue
// redact it, so a configuration can be logged whole.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
}

// String redacts the key pair.
func (c Credentials) String() string {
	if c.AccessKeyID == "" && c.SecretAccessKey == "" {
		return "(none)"
	}
	return "(redacted)"
}

// GoString redacts the key pair from %#v as well.
func (c Credentials) GoString() string { return c.String() }

// LogValue redacts the key pair from structured logs.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON redacts the key pair from JSON (a JSON log handler encodes
// a struct field by field, past LogValue).
func (c Credentials) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// LogValue is the configuration as logged: where the store is, never its
// key pair.
func (c Config) LogValue() slog.Value {
	c = c.withDefaults()
	return slog.GroupValue(
		slog.String("endpoint", c.Endpoint), slog.String("region", c.Region), slog.String("bucket", c.Bucket),
		slog.Int64("part_size", c.PartSize), slog.Int("concurrency", c.Concurrency),
	)
}

// Environment variables of the key pair. They are not flags: a secret on
// a command line is visible to every user of the machine.
const (
	EnvAccessKeyID     = "CASEBRIDGE_S3_ACCESS_KEY_ID"
	EnvSecretAccessKey = "CASEBRIDGE_S3_SECRET_ACCESS_KEY"
)

// CredentialsFromEnv reads the key pair from EnvAccessKeyID and
// EnvSecretAccessKey; ok is false when neither is set.
func CredentialsFromEnv() (c Credentials, ok bool) {
	c = Credentials{AccessKeyID: os.Getenv(EnvAccessKeyID), SecretAccessKey: os.Getenv(EnvSecretAccessKey)}
	return c, c.AccessKeyID != "" || c.SecretAccessKey != ""
}

// ReadCredentialsFile reads a key pair from a file (a mounted secret) of
// two lines:
//
//	access_key_id = ...
//	secret_access_key = ...
//
// Blank lines and lines starting with '#' are skipped. Errors name the
// file and the line number, never a value.
func ReadCredentialsFile(path string) (Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return Credentials{}, fmt.Errorf("s3 credentials file: %w", err)
	}
	defer f.Close()
	var c Credentials
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return Credentials{}, fmt.Errorf("s3 credentials file %s line %d: want key = value", path, n)
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "access_key_id":
			c.AccessKeyID = v
		case "secret_access_key":
			c.SecretAccessKey = v
		default:
			return Credentials{}, fmt.Errorf("s3 credentials file %s line %d: unknown key (want access_key_id or secret_access_key)", path, n)
		}
	}
	if err := sc.Err(); err != nil {
		return Credentials{}, fmt.Errorf("s3 credentials file %s: %w", path, err)
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return Credentials{}, fmt.Errorf("s3 credentials file %s: needs both access_key_id and secret_access_key", path)
	}
	return c, nil
}

// withDefaults fills the zero values.
func (c Config) withDefaults() Config {
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	return c
}

// Validate says what is missing or wrong, naming the setting; it never
// repeats a credential.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Endpoint == "" {
		errs = append(errs, errors.New("s3 endpoint is required (https://host[:port])"))
	} else if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, errors.New("s3 endpoint: want an http:// or https:// URL with a host"))
	} else if u.User != nil {
		errs = append(errs, errors.New("s3 endpoint: no credentials in the URL (give them in the environment or a credentials file)"))
	} else if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, errors.New("s3 endpoint: want scheme and host only, no path (the bucket is set apart)"))
	}
	if !validBucket(c.Bucket) {
		errs = append(errs, errors.New("s3 bucket: want 3-63 of a-z, 0-9, '.', '-', starting and ending with a letter or digit"))
	}
	if c.Credentials.AccessKeyID == "" || c.Credentials.SecretAccessKey == "" {
		errs = append(errs, fmt.Errorf("s3 credentials are required: %s and %s, or a credentials file", EnvAccessKeyID, EnvSecretAccessKey))
	}
	if c.PartSize < MinPartSize || c.PartSize > 1<<30 {
		errs = append(errs, fmt.Errorf("s3 part size %d: want %d (5 MiB) to 1 GiB", c.PartSize, MinPartSize))
	}
	if c.Concurrency < 1 || c.Concurrency > 16 {
		errs = append(errs, fmt.Errorf("s3 upload concurrency %d: want 1 to 16", c.Concurrency))
	}
	return errors.Join(errs...)
}

func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for i, r := range b {
		edge := i == 0 || i == len(b)-1
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case (r == '-' || r == '.') && !edge:
		default:
			return false
		}
	}
	return true
}
