// Package pgstore is the PostgreSQL blobstore.Store, the default: objects
// live in the server's own database (tables blob_objects and blob_chunks),
// so a small network runs no other component and one backup holds all.
//
// An object is written in one transaction, streamed in with COPY one chunk
// at a time, so memory stays bounded by the chunk size whatever the object's
// size, and a failed write leaves nothing. A reader fetches one chunk per
// statement and holds no connection between reads.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/blobstore"
)

// ChunkSize is the size of each chunk row (the last may be shorter): large
// enough that a row's overhead is negligible, small enough that a reader's
// and a writer's buffers stay small.
const ChunkSize = 1 << 20

// Store keeps objects in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

// New returns the store on pool's database.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

var _ blobstore.Store = (*Store)(nil)

// Put stores all of r as object id in one transaction: until it commits,
// readers see the previous object of that id, or none.
func (s *Store) Put(ctx context.Context, id string, r io.Reader) (int64, error) {
	if err := blobstore.CheckID(id); err != nil {
		return 0, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("pgstore: put: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, `DELETE FROM blob_objects WHERE id = $1`, id); err != nil {
		return 0, fmt.Errorf("pgstore: put: replace: %w", err)
	}
	var blob int64
	if err := tx.QueryRow(ctx, `INSERT INTO blob_objects (id) VALUES ($1) RETURNING blob`, id).Scan(&blob); err != nil {
		return 0, fmt.Errorf("pgstore: put: %w", err)
	}
	var (
		buf     = make([]byte, ChunkSize)
		size    int64
		seq     int32
		readErr error
		done    bool
	)
	// COPY encodes each row as soon as it is returned, so one buffer serves
	// every chunk.
	next := func() ([]any, error) {
		if done {
			return nil, nil
		}
		n, err := io.ReadFull(r, buf)
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			done = true
		case err != nil:
			readErr = err
			return nil, err
		}
		if n == 0 {
			return nil, nil
		}
		size += int64(n)
		row := []any{blob, seq, buf[:n]}
		seq++
		return row, nil
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"blob_chunks"}, []string{"blob", "seq", "data"}, pgx.CopyFromFunc(next)); err != nil {
		if readErr != nil {
			return 0, fmt.Errorf("pgstore: put: read: %w", readErr)
		}
		return 0, fmt.Errorf("pgstore: put: copy: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE blob_objects SET size = $2, chunks = $3 WHERE blob = $1`, blob, size, seq); err != nil {
		return 0, fmt.Errorf("pgstore: put: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("pgstore: put: commit: %w", err)
	}
	return size, nil
}

// Open returns a reader of object id, or blobstore.ErrNotFound.
func (s *Store) Open(ctx context.Context, id string) (io.ReadCloser, error) {
	if err := blobstore.CheckID(id); err != nil {
		return nil, err
	}
	o := &object{ctx: ctx, pool: s.pool}
	err := s.pool.QueryRow(ctx, `SELECT blob, size, chunks FROM blob_objects WHERE id = $1`, id).Scan(&o.blob, &o.size, &o.chunks)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, blobstore.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: open: %w", err)
	}
	return o, nil
}

// Delete removes object id and its chunks; an absent object is no error.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := blobstore.CheckID(id); err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM blob_objects WHERE id = $1`, id); err != nil {
		return fmt.Errorf("pgstore: delete: %w", err)
	}
	return nil
}

// errVanished is a read of an object that was deleted or replaced while it
// was being read: never a mix of two objects.
var errVanished = fmt.Errorf("%w: deleted, replaced or cut short while being read", blobstore.ErrCorrupt)

type object struct {
	ctx    context.Context
	pool   *pgxpool.Pool
	blob   int64
	size   int64
	chunks int32
	next   int32 // the next chunk to fetch
	read   int64
	cur    []byte
	closed bool
}

func (o *object) Read(p []byte) (int, error) {
	if o.closed {
		return 0, errors.New("pgstore: read of a closed object")
	}
	for len(o.cur) == 0 {
		if o.next >= o.chunks {
			if o.read != o.size {
				return 0, errVanished
			}
			return 0, io.EOF
		}
		var data []byte
		err := o.pool.QueryRow(o.ctx, `SELECT data FROM blob_chunks WHERE blob = $1 AND seq = $2`, o.blob, o.next).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, errVanished
		}
		if err != nil {
			return 0, fmt.Errorf("pgstore: read: %w", err)
		}
		o.next++
		o.cur = data
	}
	n := copy(p, o.cur)
	o.cur = o.cur[n:]
	o.read += int64(n)
	if o.read > o.size {
		return n, errVanished
	}
	return n, nil
}

func (o *object) Close() error {
	o.closed, o.cur = true, nil
	return nil
}
