package requestid

import (
	"context"
	"errors"
	"strings"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
)

// ErrRetried aborts a create's transaction when its insert met the row a
// concurrent attempt with the same request id made first (ON CONFLICT DO
// NOTHING): the create then answers with that row, made once.
var ErrRetried = errors.New("request id already used")

// Create is one idempotent create: the request id the client sent ("" for
// none) and the case the row is made for. A request id names one create,
// so it is bound to that case: a row an earlier attempt made for another
// case is never handed back.
type Create struct {
	RequestID string
	CaseID    string
	// Find looks up the row made earlier with RequestID in its scope (the
	// organisation, case or proceeding the unique index covers): its id and
	// its case, "" when there is none.
	Find func(ctx context.Context, q db.Querier, requestID string) (id, caseID string, err error)
}

// Prior returns the row an earlier attempt made ("" when none, or when the
// client sent no request id). Call it in the create's transaction, once the
// caller's access is checked and before anything is written. A row of
// another case is InvalidArgument (request_id).
func (c Create) Prior(ctx context.Context, q db.Querier) (string, error) {
	if c.RequestID == "" {
		return "", nil
	}
	id, caseID, err := c.Find(ctx, q, c.RequestID)
	if err != nil || id == "" {
		return "", err
	}
	if !strings.EqualFold(caseID, c.CaseID) { // a UUID in any letter case
		return "", rpcerr.InvalidArgument("request_id", "request id %s was already used for another case", c.RequestID)
	}
	return id, nil
}

// Settle finishes the create after its transaction ended with err: when a
// concurrent attempt made the row first (ErrRetried) it returns that row's
// id, looked up on q; otherwise id and err unchanged.
func (c Create) Settle(ctx context.Context, q db.Querier, id string, err error) (string, error) {
	if !errors.Is(err, ErrRetried) {
		return id, err
	}
	prior, err := c.Prior(ctx, q)
	if err == nil && prior == "" {
		err = errors.New("retried create: the first attempt's row vanished")
	}
	return prior, err
}
