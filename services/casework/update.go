package casework

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/supportplan"
)

// rowUpdate is what an Update handler of one kind of casework row (an
// objective, an action, a service) says about it; updateRow does what they
// all do.
type rowUpdate[R any] struct {
	what     string // the row's noun in messages: "objective"
	table    string // where caseOf finds its case
	object   string // the permission object updated (objPlan, objService)
	id, etag string
	notFound error
	// check validates the request before anything is read.
	check  func() error
	get    func(ctx context.Context, q db.Querier, id string, lock bool) (R, error)
	etagOf func(R) int64
	// planOf names the support plan the row belongs to (nil: none). A
	// change of the plan's content (content) is held to the owner's
	// approval setting; recording progress is not (see editablePlan).
	planOf  func(R) string
	content bool
	// apply makes the change to the locked row, sealing any text, and
	// reports whether it wrote sealed text.
	apply func(ctx context.Context, tx pgx.Tx, row R) (written bool, err error)
	save  func(ctx context.Context, tx pgx.Tx, row R) error
}

// updated is what the handler answers with: the caller's organisation, the
// case and whether sealed text was written (for the audited read).
type updated struct {
	org, caseID string
	written     bool
}

// updateRow runs u in one transaction: the row's case of record (another
// organisation's case is NotFound), the caller's access to it, the row
// loaded for update, the etag (stale: Aborted), the case still workable,
// the plan still editable, u's change, the row saved and the change
// audited.
func updateRow[R any](ctx context.Context, s *Service, u rowUpdate[R]) (updated, error) {
	var out updated
	p, err := authz.Caller(ctx)
	if err != nil {
		return out, err
	}
	if err := u.check(); err != nil {
		return out, err
	}
	caseID, err := caseOf(ctx, s.pool, u.table, u.id)
	if err != nil {
		return out, err
	}
	if caseID == "" {
		return out, u.notFound
	}
	out.caseID = caseID
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		acc, f, err := s.access(ctx, tx, p, caseID, u.object, actUpdate, true, namedRecord, u.notFound)
		if err != nil {
			return err
		}
		out.org = acc.Org
		row, err := u.get(ctx, tx, u.id, true)
		if err != nil {
			return err
		}
		if err := checkEtag(u.what, u.id, u.etag, u.etagOf(row)); err != nil {
			return err
		}
		if err := f.CheckWorkable(); err != nil {
			return err
		}
		if u.planOf != nil {
			if _, err := editablePlan(ctx, tx, caseID, u.planOf(row), f.Owner, u.content); err != nil {
				return err
			}
		}
		if out.written, err = u.apply(ctx, tx, row); err != nil {
			return err
		}
		if err := u.save(ctx, tx, row); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, out.org, caseID, out.written)
	})
	if err != nil {
		return updated{}, err
	}
	return out, nil
}

// updateMask checks an update's mask: it names a field, and a status it
// names is given. It returns whether the mask names a field.
func updateMask(what string, paths []string, status int32) (func(string) bool, error) {
	has := func(f string) bool { return slices.Contains(paths, f) }
	if len(paths) == 0 {
		return has, rpcerr.InvalidArgument("update_mask", "must name at least one field")
	}
	if has("status") && status == 0 {
		return has, rpcerr.InvalidArgument(what+".status", "is required when update_mask names it")
	}
	return has, nil
}

// moveStatus moves *status to to along l when the mask names the status.
func moveStatus[S interface {
	~int32
	String() string
}](has func(string) bool, l supportplan.Lifecycle[S], status *S, to S) error {
	if !has("status") {
		return nil
	}
	if err := l.Check(*status, to); err != nil {
		return err
	}
	*status = to
	return nil
}
