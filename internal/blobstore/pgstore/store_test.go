package pgstore_test

import (
	"testing"

	"github.com/casebridge/casebridge/internal/blobstore"
	"github.com/casebridge/casebridge/internal/blobstore/blobstoretest"
	"github.com/casebridge/casebridge/internal/blobstore/pgstore"
	"github.com/casebridge/casebridge/internal/testdb"
)

func TestConformance(t *testing.T) {
	pool := testdb.New(t)
	blobstoretest.Run(t, func(*testing.T) blobstore.Store { return pgstore.New(pool) })
}
