package server

import (
	"time"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/casebridge/casebridge/services/documents"
)

// sweepEvery is how often the document sweeper looks for due deletions
// besides the kicks of the deletions this replica commits.
const sweepEvery = 5 * time.Second

// registerDocuments registers DocumentService over the configured blob
// store (--blob-store: PostgreSQL or S3-compatible), and
// starts the sweeper that deletes deleted documents' objects after commit.
func (s *Server) registerDocuments() {
	blobs := s.blobs
	sweeper := documents.NewSweeper(s.pool, blobs, s.log, sweepEvery)
	go sweeper.Run(s.background)
	casebridgev1.RegisterDocumentServiceServer(s.grpc, documents.New(s.pool, s.authz, s.keys, blobs, s.audit, s.log,
		documents.Options{MaxBytes: s.cfg.Limits.DocumentBytes, Deleted: sweeper.Kick}))
}
