package caseaccess

import (
	"context"
	"errors"
	"fmt"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// errNotLegal is a decision refused by the legal-work rule alone.
var errNotLegal = errors.New("court data reached without legal work")

// Gate decides access to cases: the policy's decision (authz) over the
// facts, with the rules the policy cannot know applied first.
type Gate struct {
	engine *authz.Engine
}

// NewGate returns a Gate deciding with engine.
func NewGate(engine *authz.Engine) *Gate { return &Gate{engine: engine} }

// Engine is the policy decision maker the gate uses.
func (g *Gate) Engine() *authz.Engine { return g.engine }

// Decide decides whether p may do act on obj of the case f describes. The
// error is authz.ErrNotFound when p may not see the case at all,
// authz.ErrPermissionDenied (possibly wrapping errNotLegal) when they may
// see it but not do this.
//
// On court data (IsCourtData) only the owner and the organisations doing
// legal work count: the policy's referral ceiling lets any receiver's
// lawyers act, since it does not know what a referral was for; this does.
func (g *Gate) Decide(p authz.Principal, f Facts, obj, act string) (authz.Access, error) {
	if !IsCourtData(obj) {
		return g.engine.CaseAccess(p, f.Info(), obj, act)
	}
	legal := f.legalOnly()
	acc, err := g.engine.CaseAccess(p, legal.Info(), obj, act)
	if errors.Is(err, authz.ErrNotFound) && len(legal.Shares) < len(f.Shares) {
		if _, seen := g.engine.CaseAccess(p, f.Info(), "case", authz.ActRead); seen == nil {
			return authz.Access{}, fmt.Errorf("%w: %w", authz.ErrPermissionDenied, errNotLegal)
		}
	}
	return acc, err
}

// Resolve is Decide with the refusal as the client sees it: notFound (the
// not-found error of whatever the request named) when p may not see the
// case — its existence is itself sensitive — and PermissionDenied when they
// may see it but their role, or the legal-work rule, does not allow this.
func (g *Gate) Resolve(p authz.Principal, f Facts, obj, act string, notFound error) (authz.Access, error) {
	acc, err := g.Decide(p, f, obj, act)
	switch {
	case errors.Is(err, errNotLegal):
		return authz.Access{}, hiddenRecord{rpcerr.PermissionDenied("no organisation of yours was referred case %s for legal representation: only the owner or the receiver of an accepted legal referral reaches its court data", f.ID)}
	case errors.Is(err, authz.ErrNotFound):
		return authz.Access{}, notFound
	case errors.Is(err, authz.ErrPermissionDenied):
		denied := rpcerr.PermissionDenied("your role may not %s %s on case %s", act, obj, f.ID)
		if g.unreadableShared(p, f, obj) {
			return authz.Access{}, hiddenRecord{denied}
		}
		return authz.Access{}, denied
	case err != nil:
		return authz.Access{}, fmt.Errorf("decide access to case %s: %w", f.ID, err)
	}
	return acc, nil
}

// Check loads case id (locking its row with lock) and resolves p's access
// to act on obj there; a case that does not exist is notFound as well.
// Use it when the request named the case itself.
func (g *Gate) Check(ctx context.Context, q db.Querier, p authz.Principal, id, obj, act string, lock bool, notFound error) (authz.Access, Facts, error) {
	f, err := Load(ctx, q, id, lock)
	if errors.Is(err, ErrNoCase) {
		return authz.Access{}, Facts{}, notFound
	}
	if err != nil {
		return authz.Access{}, Facts{}, err
	}
	acc, err := g.Resolve(p, f, obj, act, notFound)
	return acc, f, err
}

// CheckRecord is Check for a request that named a record of case id — a
// proceeding, hearing, deadline or claim, a plan, a task, a document —
// rather than the case. Two refusals are then notFound too. One by the
// legal-work rule: to an organisation that does no legal work on the case,
// a record's id must not confirm that the record exists, let alone that
// the person is in court. And a refusal of a caller who reaches the case
// only through a share and may not read records of that kind there
// (unreadableShared): a former owner following the case still knows the
// ids of what it recorded while it held it, a receiver may come by the id
// of one of the owner's tasks, and a refusal would tell either that the
// record is there, on this case. (Naming the case itself, which such an
// organisation may see, is PermissionDenied: that answer is the same
// whether the case has such records or not.)
func (g *Gate) CheckRecord(ctx context.Context, q db.Querier, p authz.Principal, id, obj, act string, lock bool, notFound error) (authz.Access, Facts, error) {
	acc, f, err := g.Check(ctx, q, p, id, obj, act, lock, notFound)
	if errors.Is(err, errRecordHidden) {
		return authz.Access{}, Facts{}, notFound
	}
	return acc, f, err
}

// unreadableShared reports whether p reaches case f only through a share
// (a referral, or as a follower) and may not even read obj there: records
// of that kind are the owner's alone to p — a follower's old ones, or the
// owner's tasks to a receiver — so that naming one must not confirm it.
// A record p may read but not change stays PermissionDenied.
func (g *Gate) unreadableShared(p authz.Principal, f Facts, obj string) bool {
	acc, err := g.engine.CaseAccess(p, f.Info(), "case", authz.ActRead)
	if err != nil || !acc.Shared {
		return false
	}
	_, err = g.Decide(p, f, obj, authz.ActRead)
	return err != nil
}

// errRecordHidden marks the client error of a refusal that CheckRecord
// turns into notFound, so that it can tell it from a role's refusal.
var errRecordHidden = errors.New("record hidden from the caller")

// hiddenRecord is a PermissionDenied (by the legal-work rule, or of a
// record p may not read: unreadableShared) still recognisable as
// errRecordHidden.
type hiddenRecord struct{ error }

func (e hiddenRecord) Unwrap() []error { return []error{e.error, errRecordHidden} }

// Readable decides, for each case of a list page, whether p may do act on
// obj there, loading the facts of the page's cases in one statement. The
// result maps each readable case id to p's access; cases p may not reach
// are absent.
func (g *Gate) Readable(ctx context.Context, q db.Querier, p authz.Principal, ids []string, obj, act string) (map[string]authz.Access, error) {
	out := map[string]authz.Access{}
	if len(ids) == 0 {
		return out, nil
	}
	facts, err := LoadMany(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	for id, f := range facts {
		acc, err := g.Decide(p, f, obj, act)
		if err == nil {
			out[id] = acc
		}
	}
	return out, nil
}

// PageDecider is Gate.Decide for the rows of one page of a list: one
// caller, one object and action, many cases. A decision is a function of
// the caller and the case's facts (less its id), so the rows of a page
// that are shared with no one and have the same owner, erasure, status
// and closure facts — most rows of most pages — get the one answer
// Decide gave the first of them; a row with shares is decided on its own.
// The rule is still Decide's: this only avoids asking it again the same
// question. Build one per request (it is not safe for concurrent use):
// the policy of a page is then the one in force at its first row.
type PageDecider struct {
	g        *Gate
	p        authz.Principal
	obj, act string
	seen     map[pageKey]pageDecision
	// lastKey and last are the facts and decision of the previous row.
	lastKey pageKey
	last    pageDecision
	hasLast bool
}

// pageKey is every fact of a case shared with no one that a decision may
// depend on: everything in Facts but the id and the (empty) shares.
type pageKey struct {
	owner   string
	erased  bool
	status  casebridgev1.CaseStatus
	closure ClosureApproval
}

type pageDecision struct {
	acc authz.Access
	err error
}

// ForPage returns a PageDecider of p's access to act on obj.
func (g *Gate) ForPage(p authz.Principal, obj, act string) *PageDecider {
	return &PageDecider{g: g, p: p, obj: obj, act: act}
}

// Decide is Gate.Decide(p, f, obj, act). Rows of the same facts share the
// returned Access: its Classes must not be modified.
func (d *PageDecider) Decide(f Facts) (authz.Access, error) {
	if len(f.Shares) > 0 {
		return d.g.Decide(d.p, f, d.obj, d.act)
	}
	k := pageKey{owner: f.Owner, erased: f.Erased, status: f.Status, closure: f.Closure}
	// A row mostly has the facts of the row before it: compared, not hashed.
	if d.hasLast && k == d.lastKey {
		return d.last.acc, d.last.err
	}
	got, ok := d.seen[k]
	if !ok {
		acc, err := d.g.Decide(d.p, f, d.obj, d.act)
		got = pageDecision{acc: acc, err: err}
		if d.seen == nil {
			d.seen = make(map[pageKey]pageDecision, 4)
		}
		d.seen[k] = got
	}
	d.lastKey, d.last, d.hasLast = k, got, true
	return got.acc, got.err
}
