package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/pflag"

	"github.com/casebridge/casebridge/internal/blobstore/pgstore"
	"github.com/casebridge/casebridge/internal/blobstore/s3store"
	"github.com/casebridge/casebridge/internal/s3test"
	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/testdb"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const testSecret = "flag-test-secret-0123456789"

// The flags choose the store; the S3 key pair comes from a credentials
// file or the environment, never a flag.
func TestBlobStoreFlags(t *testing.T) {
	dir := t.TempDir()
	credFile := filepath.Join(dir, "s3-credentials")
	if err := os.WriteFile(credFile, []byte("access_key_id = FILEKEY\nsecret_access_key = "+testSecret+"-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s3Flags := []string{"--blob-store", "s3", "--s3-endpoint", "https://objects.example.org", "--s3-bucket", "casebridge-docs"}
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		wantKey string
	}{
		{"postgres by default", nil, nil, "", ""},
		{"s3 with the key pair in the environment", s3Flags,
			map[string]string{s3store.EnvAccessKeyID: "ENVKEY", s3store.EnvSecretAccessKey: testSecret}, "", "ENVKEY"},
		{"s3 with a credentials file, which wins", append(s3Flags, "--s3-credentials-file", credFile),
			map[string]string{s3store.EnvAccessKeyID: "ENVKEY", s3store.EnvSecretAccessKey: testSecret}, "", "FILEKEY"},
		{"s3 without a key pair", s3Flags, nil, "s3 credentials are required: " + s3store.EnvAccessKeyID, ""},
		{"s3 with half a key pair", s3Flags, map[string]string{s3store.EnvAccessKeyID: "ENVKEY"}, "s3 credentials are required", ""},
		{"s3 without a bucket", []string{"--blob-store", "s3", "--s3-endpoint", "https://objects.example.org"},
			map[string]string{s3store.EnvAccessKeyID: "ENVKEY", s3store.EnvSecretAccessKey: testSecret}, "s3 bucket", ""},
		{"s3 with an absent credentials file", append(s3Flags, "--s3-credentials-file", filepath.Join(dir, "absent")), nil, "--s3-credentials-file", ""},
		{"unknown store", []string{"--blob-store", "disk"}, nil, `--blob-store "disk": want postgres or s3`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(s3store.EnvAccessKeyID, "")
			t.Setenv(s3store.EnvSecretAccessKey, "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var cfg server.Config
			fs := pflag.NewFlagSet("casebridged", pflag.ContinueOnError)
			cfg.RegisterFlags(fs)
			if err := fs.Parse(append([]string{"--dev", "--database-url", "postgres://unused"}, tc.args...)); err != nil {
				t.Fatal(err)
			}
			err := cfg.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if got := cfg.Blobs.S3.Credentials.AccessKeyID; got != tc.wantKey {
					t.Fatalf("access key id %q, want %q", got, tc.wantKey)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate: %v, want an error saying %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Fatalf("error repeats the secret: %v", err)
			}
		})
	}
}

// With --blob-store s3 the server keeps document ciphertext in the
// bucket, and its log names the bucket but never the key pair.
func TestServerKeepsBlobsInS3(t *testing.T) {
	bucket := s3test.Bucket(t)
	env := servertest.Start(t, func(c *server.Config) {
		c.Blobs = server.BlobStoreConfig{Kind: server.BlobStoreS3, S3: bucket}
		c.LogLevel = "info"
	})
	store := env.Server.BlobStore()
	if _, ok := store.(*s3store.Store); !ok {
		t.Fatalf("blob store is %T, want *s3store.Store", store)
	}
	ctx := t.Context()
	if _, err := store.Put(ctx, "0a1b2c3d-0000-4000-8000-000000000001", strings.NewReader("ciphertext")); err != nil {
		t.Fatal(err)
	}
	out, err := s3test.Client(bucket).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket.Bucket), Key: aws.String("0a1b2c3d-0000-4000-8000-000000000001")})
	if err != nil {
		t.Fatalf("object not in the bucket: %v", err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(got) != "ciphertext" {
		t.Fatalf("bucket holds %q", got)
	}
	log := env.ServerLog()
	if !strings.Contains(log, bucket.Bucket) {
		t.Errorf("server log does not name the bucket:\n%s", log)
	}
	if strings.Contains(log, bucket.Credentials.SecretAccessKey) || strings.Contains(log, bucket.Credentials.AccessKeyID) {
		t.Errorf("server log shows the key pair:\n%s", log)
	}
}

// The default store is PostgreSQL.
func TestServerKeepsBlobsInPostgresByDefault(t *testing.T) {
	env := servertest.Start(t)
	if _, ok := env.Server.BlobStore().(*pgstore.Store); !ok {
		t.Fatalf("blob store is %T, want *pgstore.Store", env.Server.BlobStore())
	}
}

// A server configured with a key pair the object store refuses does not
// start, and says why without the secret.
func TestServerRefusesAnS3KeyPairThatDoesNotWork(t *testing.T) {
	_, dbURL := testdb.NewWithURL(t)
	bucket := s3test.Bucket(t)
	good := bucket.Credentials.SecretAccessKey
	bucket.Credentials.SecretAccessKey = testSecret
	var logs bytes.Buffer
	cfg := server.Config{
		Dev: true, DataDir: t.TempDir(), DatabaseURL: dbURL,
		ShutdownGrace: time.Second,
		Blobs:         server.BlobStoreConfig{Kind: server.BlobStoreS3, S3: bucket},
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	srv, err := server.New(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err == nil {
		srv.Close()
		t.Fatal("server started with a refused key pair")
	}
	if !strings.Contains(err.Error(), "refused the configured key pair") {
		t.Errorf("error %q does not say the key pair was refused", err)
	}
	for _, s := range []string{err.Error(), logs.String()} {
		if strings.Contains(s, testSecret) || strings.Contains(s, good) {
			t.Errorf("secret shown: %s", s)
		}
	}
}

// Documents uploaded to a server with --blob-store s3 land in the bucket,
// one object, ciphertext only (the plaintext marker is nowhere in it), and
// download whole.
func TestDocumentsOverS3(t *testing.T) {
	bucket := s3test.Bucket(t)
	env := servertest.Start(t, func(c *server.Config) {
		c.Blobs = server.BlobStoreConfig{Kind: server.BlobStoreS3, S3: bucket}
	})
	ctx := env.As(t, "caseworker@shelter-a")
	caseID := env.NewMarkedCase(t)
	content := []byte(strings.Repeat("Marker-S3-7731: the account of what happened, line by line.\n", 3000))
	doc, err := servertest.Upload(ctx, env.Conn, &casebridgev1.DocumentMetadata{CaseId: caseID, DataClass: casebridgev1.DataClass_DATA_CLASS_LEGAL,
		Title: "statement", Kind: "statement", DocumentDate: "2025-03-14", FileName: "statement.txt"}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	raw := s3test.Client(bucket)
	list, err := raw.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 1 {
		t.Fatalf("%d objects in the bucket after one upload, want 1", len(list.Contents))
	}
	out, err := raw.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket.Bucket), Key: list.Contents[0].Key})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if len(stored) < len(content) || bytes.Contains(stored, []byte("Marker-S3-7731")) || bytes.Contains(stored, []byte(caseID)) {
		t.Fatalf("the bucket's object (%d bytes) is not ciphertext of the %d-byte document", len(stored), len(content))
	}
	stream, err := casebridgev1.NewDocumentServiceClient(env.Conn).DownloadDocument(ctx, &casebridgev1.DownloadDocumentRequest{Id: doc.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, msg.GetChunk()...)
	}
	if !bytes.Equal(got, content) {
		t.Fatalf("downloaded %d bytes that differ from the %d uploaded", len(got), len(content))
	}
}
