package documents_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/s3test"
	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// withS3 configures the server to keep document ciphertext in bucket.
func withS3(bucket server.S3Flags) servertest.Option {
	return func(c *server.Config) { c.Blobs = server.BlobStoreConfig{Kind: server.BlobStoreS3, S3: bucket} }
}

// bucketKeys lists the object keys in bucket.
func bucketKeys(t *testing.T, bucket server.S3Flags) []string {
	t.Helper()
	out, err := s3test.Client(bucket).ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket.Bucket)})
	if err != nil {
		t.Fatalf("list bucket: %v", err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// TestErasureDestroysDocumentsInS3: with the object store as the blob
// store, erasing a case deletes its documents' objects from the bucket
// (after the erasure committed) and leaves the other case's; and a copy of
// an object taken before the erasure, with the database rows that held its
// key (as an old backup would keep them), can be decrypted before the
// erasure but not after it: the case key that sealed the document key is
// shredded and the organisation keys that wrapped it are destroyed.
func TestErasureDestroysDocumentsInS3(t *testing.T) {
	bucket := s3test.Bucket(t)
	env := servertest.Start(t, withS3(bucket))
	cw := env.As(t, "caseworker@shelter-a")
	caseID := env.NewMarkedCase(t)
	other := env.NewMarkedCase(t)
	content := append(pdf(t, 400_000), []byte("Marker-S3-Erasure-4471")...)
	doc, err := servertest.Upload(cw, env.Conn, meta(caseID, legal, "indictment"), bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := servertest.Upload(cw, env.Conn, meta(caseID, care, "certificate"), bytes.NewReader(text(70_000))); err != nil {
		t.Fatal(err)
	}
	kept, err := servertest.Upload(cw, env.Conn, meta(other, legal, "kept"), bytes.NewReader(text(1000)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var objectID string
	var envelope []byte
	if err := env.Pool.QueryRow(ctx, `SELECT object_id, envelope FROM documents WHERE id = $1`, doc.GetId()).Scan(&objectID, &envelope); err != nil {
		t.Fatal(err)
	}
	var keptObject string
	if err := env.Pool.QueryRow(ctx, `SELECT object_id FROM documents WHERE id = $1`, kept.GetId()).Scan(&keptObject); err != nil {
		t.Fatal(err)
	}
	if n := len(bucketKeys(t, bucket)); n != 3 {
		t.Fatalf("%d objects in the bucket after three uploads, want 3", n)
	}
	// The "backup": the object as the bucket holds it, and the wrapped
	// case keys as a database backup holds them.
	obj, err := s3test.Client(bucket).GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket.Bucket), Key: aws.String(objectID)})
	if err != nil {
		t.Fatalf("the document's object is not in the bucket: %v", err)
	}
	copied, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(copied, []byte("Marker-S3-Erasure-4471")) {
		t.Fatal("the bucket holds the document's plaintext")
	}
	rows, err := env.Pool.Query(ctx, `SELECT wrapped FROM case_keys WHERE case_id = $1`, caseID)
	if err != nil {
		t.Fatal(err)
	}
	var wrapped [][]byte
	for rows.Next() {
		var w []byte
		if err := rows.Scan(&w); err != nil {
			t.Fatal(err)
		}
		wrapped = append(wrapped, w)
	}
	if rows.Close(); rows.Err() != nil || len(wrapped) == 0 {
		t.Fatalf("no wrapped key of the case (%v)", rows.Err())
	}
	keyringDir := filepath.Join(env.DataDir, "keys")

	// decrypt opens the copied object with the backup and the keyring as
	// it is now; it fails with the error of the first link that breaks.
	decrypt := func() ([]byte, error) {
		kr, err := vault.LoadKeyring(keyringDir)
		if err != nil {
			t.Fatal(err)
		}
		var errs []error
		for _, w := range wrapped {
			key, err := kr.UnwrapCaseKey(w, caseID)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			plain, err := vault.DocumentEnvelopes.Open(key, caseID, doc.GetId(), dataclass.Legal, envelope)
			key.Wipe()
			if err != nil {
				return nil, err
			}
			var e struct {
				Key string `json:"key"`
			}
			if err := json.Unmarshal(plain, &e); err != nil {
				return nil, err
			}
			id, err := age.ParseX25519Identity(e.Key)
			if err != nil {
				return nil, err
			}
			r, err := age.Decrypt(bytes.NewReader(copied), id)
			if err != nil {
				return nil, err
			}
			return io.ReadAll(r)
		}
		return nil, errors.Join(errs...)
	}
	if got, err := decrypt(); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("before the erasure the copy must decrypt with the backed-up key: %v", err)
	}

	if _, err := env.Cases().EraseCase(env.As(t, "supervisor@shelter-a"), &casebridgev1.EraseCaseRequest{Id: caseID, Reason: "asked"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		keys := bucketKeys(t, bucket)
		if len(keys) == 1 && keys[0] == keptObject {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bucket holds %v 30 s after the erasure, want only the other case's object %s", keys, keptObject)
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitRotations(t, env)
	if _, err := decrypt(); !errors.Is(err, vault.ErrNoKey) {
		t.Fatalf("after the erasure the copied object must be undecryptable for want of the case key, got %v", err)
	}
	if _, back, err := servertest.Download(cw, env.Conn, kept.GetId()); err != nil || !bytes.Equal(back, text(1000)) {
		t.Fatalf("the other case's document after the erasure: %v", err)
	}
}

// waitRotations waits until the key rotations the erasure started are done
// (their end destroys the retired organisation keys).
func waitRotations(t *testing.T, env *servertest.Env) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var running, total int
		if err := env.Pool.QueryRow(context.Background(),
			`SELECT count(*) FILTER (WHERE state <> 2), count(*) FROM key_rotations`).Scan(&running, &total); err != nil {
			t.Fatal(err)
		}
		if running == 0 && total > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the key rotation after the erasure did not finish")
}
