package server

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/casebridge/casebridge/internal/blobstore"
	"github.com/casebridge/casebridge/internal/blobstore/pgstore"
	"github.com/casebridge/casebridge/internal/blobstore/s3store"
)

// Where document ciphertext is kept (--blob-store).
const (
	BlobStorePostgres = "postgres"
	BlobStoreS3       = "s3"
)

// BlobStoreConfig chooses the store of document ciphertext: PostgreSQL
// (the default, no new component for a small network) or an S3-compatible
// object store.
type BlobStoreConfig struct {
	// Kind is BlobStorePostgres (or empty) or BlobStoreS3.
	Kind string
	// S3 is the object store's configuration. Its key pair comes from
	// S3CredentialsFile, else from the environment
	// (s3store.EnvAccessKeyID, s3store.EnvSecretAccessKey), unless it is
	// set already (tests): never from a flag, which every user of the
	// machine could read.
	S3                S3Flags
	S3CredentialsFile string
}

// S3Flags is s3store.Config as the flags fill it.
type S3Flags = s3store.Config

// RegisterFlags declares the blob store's flags on fs.
func (c *BlobStoreConfig) RegisterFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Kind, "blob-store", BlobStorePostgres, "where document ciphertext is kept: postgres (in the database) or s3 (an S3-compatible object store, --s3-*)")
	fs.StringVar(&c.S3.Endpoint, "s3-endpoint", "", "S3-compatible endpoint for --blob-store s3: https://host[:port]")
	fs.StringVar(&c.S3.Bucket, "s3-bucket", "", "bucket for --blob-store s3 (it must exist); objects are named by opaque ids and hold only ciphertext")
	fs.StringVar(&c.S3.Region, "s3-region", s3store.DefaultRegion, "signing region for --blob-store s3")
	fs.BoolVar(&c.S3.VirtualHostedStyle, "s3-virtual-hosted-style", false, "address the bucket as bucket.host (AWS S3) instead of host/bucket (S3-compatible servers)")
	fs.StringVar(&c.S3CredentialsFile, "s3-credentials-file", "", "file (a mounted secret) with the S3 key pair: lines access_key_id = ... and secret_access_key = ...; "+
		"without it the key pair is read from "+s3store.EnvAccessKeyID+" and "+s3store.EnvSecretAccessKey)
	fs.Int64Var(&c.S3.PartSize, "s3-part-size", s3store.DefaultPartSize, "bytes of one multipart part (at least 5 MiB); one upload holds at most --s3-upload-concurrency parts in memory")
	fs.IntVar(&c.S3.Concurrency, "s3-upload-concurrency", s3store.DefaultConcurrency, "parts of one upload sent at once")
}

// Validate checks the choice and, for S3, resolves the key pair and checks
// every setting (without reaching the server: New does).
func (c *BlobStoreConfig) Validate() error {
	switch c.Kind {
	case "", BlobStorePostgres:
		return nil
	case BlobStoreS3:
	default:
		return fmt.Errorf("--blob-store %q: want postgres or s3", c.Kind)
	}
	if c.S3.Credentials == (s3store.Credentials{}) {
		if c.S3CredentialsFile != "" {
			creds, err := s3store.ReadCredentialsFile(c.S3CredentialsFile)
			if err != nil {
				return fmt.Errorf("--s3-credentials-file: %w", err)
			}
			c.S3.Credentials = creds
		} else if creds, ok := s3store.CredentialsFromEnv(); ok {
			c.S3.Credentials = creds
		}
	}
	if err := c.S3.Validate(); err != nil {
		return fmt.Errorf("--blob-store s3: %w", err)
	}
	return nil
}

// openBlobStore returns the configured store; an S3 store is checked
// (bucket reachable with the key pair) before the server starts.
func (s *Server) openBlobStore(ctx context.Context) (blobstore.Store, error) {
	c := s.cfg.Blobs
	if c.Kind != BlobStoreS3 {
		return pgstore.New(s.pool), nil
	}
	store, err := s3store.New(ctx, c.S3)
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	s.log.Info("document ciphertext in an S3-compatible store", "s3", c.S3)
	return store, nil
}

// BlobStore is the store of document ciphertext the server was configured
// with.
func (s *Server) BlobStore() blobstore.Store { return s.blobs }
