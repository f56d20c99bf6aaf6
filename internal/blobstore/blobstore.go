// Package blobstore is where document ciphertext lives: whole objects, each
// named by an opaque id, written once and read as a stream.
//
// A Store never sees plaintext: documents are encrypted before they reach
// it, and their keys are kept elsewhere (sealed under the case key), so an
// object left behind after an erasure is unreadable. The id says nothing
// about the case or the document; the store keeps no other name.
//
// Two stores implement it: PostgreSQL (pgstore, the default: no new
// component for a small network) and an S3-compatible object store. Both
// pass the conformance suite in blobstoretest.
package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
)

// ErrNotFound is returned by Open for an id that names no stored object.
var ErrNotFound = errors.New("blobstore: object not found")

// ErrCorrupt is returned by a reader whose object is not what was stored
// (shorter or longer than written, a chunk missing): the content is lost,
// not merely out of reach.
var ErrCorrupt = errors.New("blobstore: object is not what was stored")

// ErrInvalidID is returned for an id that [ValidID] refuses.
var ErrInvalidID = errors.New("blobstore: invalid object id")

// Store keeps objects of ciphertext named by opaque ids.
//
// Put stores all of r as object id and returns how many bytes it stored.
// No partial object is ever visible: when Put fails (r's error, ctx's end,
// the store's failure) Open still finds what was there before, or nothing.
// Putting an id that is already stored replaces the object whole.
//
// Open returns the object as a stream, or ErrNotFound when it is absent.
// The caller closes it. Errors while reading come from Read.
//
// Delete removes the object; deleting an absent object is no error, so a
// deletion can be retried until it succeeds.
//
// Every method refuses an id that ValidID refuses (ErrInvalidID). A Store is
// safe for concurrent use.
type Store interface {
	Put(ctx context.Context, id string, r io.Reader) (int64, error)
	Open(ctx context.Context, id string) (io.ReadCloser, error)
	Delete(ctx context.Context, id string) error
}

// idPattern keeps ids safe as an S3 key and as SQL text alike: lower-case
// letters, digits and '-', as a UUID is written.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,127}$`)

// ValidID reports whether id may name an object.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// CheckID returns ErrInvalidID (wrapped) unless ValidID(id). The id is not
// echoed: it is opaque, but callers should not need to see it in errors.
func CheckID(id string) error {
	if !ValidID(id) {
		return fmt.Errorf("%w (want 1-128 of a-z, 0-9, '-')", ErrInvalidID)
	}
	return nil
}
