// Package documents implements DocumentService: the files kept with a case
// (identity papers, medical certificates, evidence, court papers, signed
// consent forms), each in one data class, and its PostgreSQL store.
//
// A document's content is encrypted with age (its STREAM format, 64 KiB
// chunks) to a random X25519 identity of its own, the document key; the
// ciphertext goes to a blobstore.Store under an opaque object id. The key,
// with the title, kind, date and file name, is one value sealed under the
// case key (vault.DocumentEnvelopes), bound to the case, the class and the
// document id. Re-keying a case re-seals that small value only, and erasure
// deletes it, so the content cannot be opened even where a copy of it
// survives (an object left in a store, an old backup).
//
// Content streams through in bounded memory whatever its size: the upload
// is sniffed from its first bytes, then encrypted and written as it
// arrives; the download is read, decrypted and sent chunk by chunk.
package documents

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/blobstore"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// DefaultMaxBytes is the largest document an upload stores unless told
// otherwise.
const DefaultMaxBytes = 50 << 20

// object is the policy's object of every document call.
const object = "document"

// Service is the DocumentService handler.
type Service struct {
	casebridgev1.UnimplementedDocumentServiceServer

	pool     *pgxpool.Pool
	authz    *authz.Engine
	gate     *caseaccess.Gate
	keys     *keys.Manager
	blobs    blobstore.Store
	audit    *audit.Recorder
	log      *slog.Logger
	maxBytes int64
	// deleted is told when a document's object was queued for deletion,
	// so that the sweeper deletes it at once rather than at its next round.
	deleted func()
}

// Options are what a Service may be tuned with.
type Options struct {
	// MaxBytes is the largest document an upload stores (0: DefaultMaxBytes).
	MaxBytes int64
	// Deleted, if set, is called after a transaction that queued objects
	// for deletion committed (Sweeper.Kick).
	Deleted func()
}

// New builds the service over its dependencies; blobs holds the content.
func New(pool *pgxpool.Pool, engine *authz.Engine, km *keys.Manager, blobs blobstore.Store, rec *audit.Recorder, log *slog.Logger, opts Options) *Service {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Deleted == nil {
		opts.Deleted = func() {}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{pool: pool, authz: engine, gate: caseaccess.NewGate(engine), keys: km, blobs: blobs, audit: rec, log: log,
		maxBytes: opts.MaxBytes, deleted: opts.Deleted}
}

func caseNotFound(id string) error { return rpcerr.NotFound("case %s not found", id) }

func documentNotFound(id string) error { return rpcerr.NotFound("document %s not found", id) }
