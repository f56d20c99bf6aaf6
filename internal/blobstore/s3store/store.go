// Package s3store is the blobstore.Store of a network that outgrows
// PostgreSQL: document ciphertext in an S3-compatible object store.
//
// An object's key is its opaque id and nothing else (no prefix naming an
// organisation or a case, no user metadata, content type
// application/octet-stream), so a listing of the bucket tells nothing but
// how many objects there are and their sizes.
//
// Uploads stream: an object no larger than one part goes up in one
// PutObject; a larger one as a multipart upload of PartSize parts, at most
// Concurrency of them in memory and in flight, whatever the object's size.
// S3 makes an object visible only when its upload completes, so a failed or
// cancelled Put leaves what was there before; its unfinished multipart
// upload is aborted.
//
// The client is the AWS SDK for Go v2 (service/s3), with request and
// response checksums only where an operation requires them: many
// S3-compatible servers refuse the SDK's default checksum trailers, and the
// ciphertext carries its own authentication (age's STREAM format), which
// the reader checks.
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/casebridge/casebridge/internal/blobstore"
)

// abortTimeout bounds the clean-up of a failed upload, which runs even
// when the caller's context has ended.
const abortTimeout = 30 * time.Second

// Store keeps objects in one bucket of an S3-compatible server.
type Store struct {
	client *s3.Client
	cfg    Config
	// parts recycles part buffers between uploads.
	parts sync.Pool
}

var _ blobstore.Store = (*Store)(nil)

// New returns a store over cfg's bucket after checking that the bucket is
// reachable with cfg's key pair (Check), so that a wrong endpoint,
// key or bucket stops the server at start rather than at the first upload.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	client := s3.New(s3.Options{
		BaseEndpoint:               aws.String(cfg.Endpoint),
		Region:                     cfg.Region,
		UsePathStyle:               !cfg.VirtualHostedStyle,
		Credentials:                aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(cfg.Credentials.AccessKeyID, cfg.Credentials.SecretAccessKey, "")),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	s := &Store{client: client, cfg: cfg}
	s.parts.New = func() any { b := make([]byte, cfg.PartSize); return &b }
	if err := s.Check(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Check reports whether the bucket is reachable with the store's key
// pair. It lists at most one key rather than asking HeadBucket: a HEAD
// answer has no body, and some servers answer an unknown key pair with a
// bare 404 that would read as a missing bucket. Both need the same
// permission (s3:ListBucket).
func (s *Store) Check(ctx context.Context) error {
	_, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(s.cfg.Bucket), MaxKeys: aws.Int32(1)})
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchBucket" {
		return fmt.Errorf("s3 bucket %q does not exist at %s (create it first)", s.cfg.Bucket, s.cfg.Endpoint)
	}
	var re interface{ HTTPStatusCode() int }
	refused := errors.As(err, &re) && (re.HTTPStatusCode() == http.StatusForbidden || re.HTTPStatusCode() == http.StatusUnauthorized)
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "AuthorizationHeaderMalformed":
			refused = true
		}
	}
	if refused {
		return fmt.Errorf("s3 bucket %q at %s refused the configured key pair (%s): check the access key id, the secret and the region",
			s.cfg.Bucket, s.cfg.Endpoint, errorCode(err))
	}
	return fmt.Errorf("s3 bucket %q at %s: %w", s.cfg.Bucket, s.cfg.Endpoint, err)
}

// errorCode is the S3 error code of err, or its HTTP status.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() != "" {
		return ae.ErrorCode()
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return fmt.Sprintf("HTTP %d", re.HTTPStatusCode())
	}
	return "no answer"
}

// Put stores all of r as object id.
func (s *Store) Put(ctx context.Context, id string, r io.Reader) (int64, error) {
	if err := blobstore.CheckID(id); err != nil {
		return 0, err
	}
	buf := s.getPart()
	n, full, err := fill(r, *buf)
	if err != nil {
		s.putPart(buf)
		return 0, err
	}
	if !full {
		// Small enough for one request: nothing to clean up on failure.
		defer s.putPart(buf)
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket:        aws.String(s.cfg.Bucket),
			Key:           aws.String(id),
			Body:          bytes.NewReader((*buf)[:n]),
			ContentLength: aws.Int64(int64(n)),
			ContentType:   aws.String("application/octet-stream"),
		})
		if err != nil {
			return 0, fmt.Errorf("s3 put: %w", err)
		}
		return int64(n), nil
	}
	return s.putMultipart(ctx, id, r, buf)
}

// fill reads into buf until it is full or r ends; full says whether r may
// have more.
func fill(r io.Reader, buf []byte) (n int, full bool, err error) {
	n, err = io.ReadFull(r, buf)
	switch {
	case err == nil:
		return n, true, nil
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return n, false, nil
	}
	return n, false, fmt.Errorf("s3 put: reading the object: %w", err)
}

// putMultipart uploads r as parts, the first already read into first.
// Part buffers circulate through free, Concurrency of them: reading the
// next part waits until an earlier one is sent, which is what bounds
// memory whatever the object's size.
func (s *Store) putMultipart(ctx context.Context, id string, r io.Reader, first *[]byte) (int64, error) {
	created, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket:      aws.String(s.cfg.Bucket),
		Key:         aws.String(id),
		ContentType: aws.String("application/octet-stream"),
	})
	if err != nil {
		s.putPart(first)
		return 0, fmt.Errorf("s3 put: starting the upload: %w", err)
	}
	uploadID := created.UploadId
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	free := make(chan *[]byte, s.cfg.Concurrency)
	for range s.cfg.Concurrency - 1 {
		free <- s.getPart()
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		parts   []types.CompletedPart
		sendErr error
		readErr error
		total   int64
	)
	send := func(number int32, buf *[]byte, n int) {
		defer func() { free <- buf }()
		out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket:        aws.String(s.cfg.Bucket),
			Key:           aws.String(id),
			UploadId:      uploadID,
			PartNumber:    aws.Int32(number),
			Body:          bytes.NewReader((*buf)[:n]),
			ContentLength: aws.Int64(int64(n)),
		})
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if sendErr == nil {
				sendErr = fmt.Errorf("s3 put: part %d: %w", number, err)
				cancel(sendErr)
			}
			return
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(number)})
	}
	buf, n, more := first, len(*first), true
	for number := int32(1); ; number++ {
		if number > maxParts {
			free <- buf
			readErr = fmt.Errorf("s3 put: object larger than %d parts of %d bytes", maxParts, s.cfg.PartSize)
			break
		}
		total += int64(n)
		part, size := buf, n // buf and n are refilled below while the part is sent
		wg.Go(func() { send(number, part, size) })
		if !more {
			break
		}
		select {
		case buf = <-free:
		case <-ctx.Done():
			buf = nil
		}
		if buf == nil {
			break
		}
		n, more, readErr = fill(r, *buf)
		if readErr != nil || n == 0 {
			// An error, or the previous part was the last.
			free <- buf
			break
		}
	}
	wg.Wait()
	close(free)
	for b := range free {
		s.putPart(b)
	}
	err = readErr
	if err == nil {
		err = sendErr
	}
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		s.abort(ctx, id, uploadID)
		return 0, err
	}
	sort.Slice(parts, func(i, j int) bool { return *parts[i].PartNumber < *parts[j].PartNumber })
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(s.cfg.Bucket),
		Key:             aws.String(id),
		UploadId:        uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		s.abort(ctx, id, uploadID)
		return 0, fmt.Errorf("s3 put: completing the upload: %w", err)
	}
	return total, nil
}

// abort drops an unfinished upload's parts, even after ctx ended: they
// would otherwise stay in the bucket (ciphertext, but billed and
// unaccounted for) until a lifecycle rule removes them.
func (s *Store) abort(ctx context.Context, id string, uploadID *string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	_, _ = s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(s.cfg.Bucket), Key: aws.String(id), UploadId: uploadID,
	})
}

func (s *Store) getPart() *[]byte  { return s.parts.Get().(*[]byte) }
func (s *Store) putPart(b *[]byte) { s.parts.Put(b) }

// Open returns object id as a stream.
func (s *Store) Open(ctx context.Context, id string) (io.ReadCloser, error) {
	if err := blobstore.CheckID(id); err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(id)})
	if err != nil {
		if notFound(err) {
			return nil, blobstore.ErrNotFound
		}
		return nil, fmt.Errorf("s3 get: %w", err)
	}
	return &body{rc: out.Body}, nil
}

// body reports an object cut short (fewer bytes than the server announced)
// as blobstore.ErrCorrupt.
type body struct{ rc io.ReadCloser }

func (b *body) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("%w: %w", blobstore.ErrCorrupt, err)
	}
	return n, err
}

func (b *body) Close() error { return b.rc.Close() }

// Delete removes object id; S3 answers a delete of an absent key with
// success, which is what blobstore asks for.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := blobstore.CheckID(id); err != nil {
		return err
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(id)})
	if err != nil && !notFound(err) {
		return fmt.Errorf("s3 delete: %w", err)
	}
	return nil
}

func notFound(err error) bool {
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return true
	}
	var nf *types.NotFound
	if errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound")
}
