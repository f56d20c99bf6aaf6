// Package s3test gives tests a bucket of their own on a real S3-compatible
// server: the one deploy/with-s3.sh started for the test run (versitygw,
// built from tools/), found through the CASEBRIDGE_TEST_S3_* variables.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/casebridge/casebridge/internal/blobstore/s3store"
)

// Variables deploy/with-s3.sh exports.
const (
	EnvEndpoint        = "CASEBRIDGE_TEST_S3_ENDPOINT"
	EnvAccessKeyID     = "CASEBRIDGE_TEST_S3_ACCESS_KEY_ID"
	EnvSecretAccessKey = "CASEBRIDGE_TEST_S3_SECRET_ACCESS_KEY"
)

// Server returns the test server's configuration without a bucket.
func Server(t testing.TB) s3store.Config {
	t.Helper()
	endpoint := os.Getenv(EnvEndpoint)
	if endpoint == "" {
		t.Fatalf("%s is not set: run the suite with `make test`, or the package under deploy/with-s3.sh, which starts a throwaway S3 server", EnvEndpoint)
	}
	return s3store.Config{
		Endpoint: endpoint,
		Credentials: s3store.Credentials{
			AccessKeyID:     os.Getenv(EnvAccessKeyID),
			SecretAccessKey: os.Getenv(EnvSecretAccessKey),
		},
	}
}

// Bucket creates a fresh bucket on the test server and returns the
// configuration of a store over it; the bucket is left to the server,
// which is removed with the test run.
func Bucket(t testing.TB) s3store.Config {
	t.Helper()
	cfg := Server(t)
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	cfg.Bucket = "test-" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := Client(cfg).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(cfg.Bucket)}); err != nil {
		t.Fatalf("s3test: create bucket: %v", err)
	}
	return cfg
}

// Client is a plain S3 client of cfg's server, for tests that look at the
// bucket from outside the store (listing, multipart uploads left over).
func Client(cfg s3store.Config) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint:               aws.String(cfg.Endpoint),
		Region:                     s3store.DefaultRegion,
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(cfg.Credentials.AccessKeyID, cfg.Credentials.SecretAccessKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}
