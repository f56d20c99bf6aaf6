package referrals

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// watchBatch bounds the events read from the outbox at once.
const watchBatch = 200

var errShuttingDown = status.Error(codes.Unavailable, "the server is shutting down: reconnect with your last cursor")

// cursorFilter stamps cursors, so that a page token of a list is not
// mistaken for one.
var cursorFilter = pagetoken.Fingerprint("referral events")

// A cursor names its event twice: by seq, its position, and by a digest of
// what the event is (see eventMark). Positions are not unique across
// histories: after an older dump is restored, the identity sequence
// continues from the dump's value and hands the same seq to other events,
// so a cursor from the newer history would, once the restored stream
// caught up, resume past events its holder never saw. The digest tells
// the two apart.
func encodeCursor(seq int64, mark string) string {
	return pagetoken.Encode(cursorFilter, strconv.FormatInt(seq, 10), mark)
}

// errOtherHistory refuses a cursor whose event this event stream does not
// hold: the database was restored from a backup taken before it (or the
// cursor is from another installation). The client starts over.
var errOtherHistory = rpcerr.FailedPrecondition("after_cursor names an event this server's event stream does not hold " +
	"(the database was restored from an earlier backup, or the cursor is from another server): " +
	"start over: resynchronise with ListReferrals and watch from now on")

// decodeCursor returns the seq and mark of a cursor. A well-formed cursor
// without a mark (made before cursors carried one) cannot be checked, so
// it is refused like one from another history.
func decodeCursor(c string) (int64, string, error) {
	keys, err := pagetoken.Decode(c, cursorFilter, 2)
	if err != nil {
		if old, oerr := pagetoken.Decode(c, cursorFilter, 1); oerr == nil && len(old) == 1 {
			return 0, "", errOtherHistory
		}
		return 0, "", rpcerr.InvalidArgument("after_cursor", "%v", err)
	}
	seq, err := strconv.ParseInt(keys[0], 10, 64)
	if err != nil || seq <= 0 || keys[1] == "" {
		return 0, "", rpcerr.InvalidArgument("after_cursor", "%v", pagetoken.ErrInvalid)
	}
	return seq, keys[1], nil
}

// eventMark identifies one event of the outbox by what it is: for whom,
// about which referral, what happened and when (to the microsecond, as
// stored). Two histories that assigned one seq to different events give
// different marks.
func eventMark(org, referralID string, typ int16, at time.Time) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d", org, referralID, typ, at.UnixMicro())
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

// WatchReferrals streams the events of the caller's organisations from the
// outbox, in seq order, which writers make commit order (see
// internal/sharing): resuming after a cursor misses nothing and repeats
// nothing. The stream's headers are sent once the starting position is
// fixed, so a client that waits for them knows every later change reaches it.
func (s *Service) WatchReferrals(req *casebridgev1.WatchReferralsRequest, stream grpc.ServerStreamingServer[casebridgev1.WatchReferralsResponse]) error {
	ctx := stream.Context()
	p, err := authz.Caller(ctx)
	if err != nil {
		return err
	}
	orgs, err := s.authz.ListOrgs(p, watchScope, req.GetOrganizationId())
	if err != nil {
		return err
	}
	sub := s.hub.subscribe(orgs)
	defer sub.close()
	after, err := startAfter(ctx, s.pool, req.GetAfterCursor())
	if err != nil {
		return err
	}
	sub.feed.begin(after)
	if err := stream.SendHeader(nil); err != nil {
		return err
	}
	for {
		events, base, changed, ok := sub.feed.since(after)
		if !ok {
			// Further behind than the feed reaches: read the outbox alone
			// until caught up. Everything up to base had committed when the
			// feed moved there, so a short read leaves this watcher at base.
			if events, err = loadEvents(ctx, s.pool, orgs, after); err != nil {
				return err
			}
		}
		for _, e := range events {
			if ctx.Err() != nil {
				return context.Cause(ctx) // access ended: not one event more
			}
			if err := stream.Send(&casebridgev1.WatchReferralsResponse{Event: e.event}); err != nil {
				return err
			}
			after = e.seq
		}
		if !ok {
			if len(events) < watchBatch {
				after = max(after, base)
			}
			continue
		}
		if err := sub.wait(ctx, changed); err != nil {
			return err
		}
	}
}

// startAfter turns the client's cursor into the seq to stream after: the
// latest event when there is none (watch from now on). The cursor's event
// must be the one this stream holds at its seq; otherwise the cursor is
// from another history and the client must start over (never resume at a
// position that means something else here).
func startAfter(ctx context.Context, q db.Querier, cursor string) (int64, error) {
	first, last, err := eventPositions(ctx, q)
	if err != nil {
		return 0, err
	}
	if cursor == "" {
		return last, nil
	}
	seq, mark, err := decodeCursor(cursor)
	if err != nil {
		return 0, err
	}
	if seq < first-1 {
		return 0, rpcerr.FailedPrecondition("the events after this cursor are no longer kept: resynchronise with ListReferrals and watch from now on")
	}
	e, found, err := eventAt(ctx, q, seq)
	if err != nil {
		return 0, err
	}
	if !found || eventMark(e.org, e.referralID, e.typ, e.at) != mark {
		return 0, errOtherHistory
	}
	return seq, nil
}

// asOf is the referral's times as they stood at an event: an event replayed
// later must not show the referral accepted before it was.
func (t referralTimes) asOf(at time.Time) referralTimes {
	t.Update = t.Create
	for _, p := range []**time.Time{&t.Accept, &t.Decline, &t.Complete, &t.Withdraw, &t.Revoke} {
		if *p == nil {
			continue
		}
		if (*p).After(at) {
			*p = nil
			continue
		}
		if (*p).After(t.Update) {
			t.Update = **p
		}
	}
	return t
}
