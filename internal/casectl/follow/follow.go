// Package follow keeps a referral watch alive: when the stream breaks (the
// server restarts, the network drops) it reconnects by itself, passing the
// cursor of the last event handled, so that the server resumes right after
// it and no event is lost or repeated.
package follow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Stream is an open watch: what the generated client stream offers.
type Stream interface {
	Recv() (*casebridgev1.WatchReferralsResponse, error)
}

// Open starts a watch after cursor ("" = from now). It returns once the
// server has fixed the starting position (it has sent the stream's headers),
// so that every later change is known to reach the stream.
type Open func(ctx context.Context, cursor string) (Stream, error)

// Watcher follows the stream until its context ends or a permanent error.
type Watcher struct {
	Open Open
	// Handle is called for every event, in order.
	Handle func(*casebridgev1.ReferralEvent) error
	// Notice reports connection changes to the user (on stderr).
	Notice func(format string, args ...any)
	// Gap is called after a reconnect made without a cursor (no event had
	// arrived yet), with the time the previous stream was opened: changes
	// since then may have been missed and should be looked up another way.
	Gap func(ctx context.Context, since time.Time) error
	// Backoff bounds the wait between reconnection attempts.
	MinBackoff, MaxBackoff time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Run watches from cursor until ctx ends (returning nil: Ctrl-C is how a
// watch is meant to stop) or the server refuses the watch for good. It
// returns the cursor of the last event handled, to resume from later.
func (w *Watcher) Run(ctx context.Context, cursor string) (string, error) {
	now := w.Now
	if now == nil {
		now = time.Now
	}
	backoff := w.MinBackoff
	var opened time.Time // when the last stream without a cursor was opened
	connectedBefore := false
	for {
		startedAt := now()
		stream, err := w.Open(ctx, cursor)
		if err == nil {
			if connectedBefore {
				w.Notice("reconnected; resuming %s", resumeWhere(cursor))
				if cursor == "" && w.Gap != nil {
					if gerr := w.Gap(ctx, opened); gerr != nil && ctx.Err() == nil {
						w.Notice("could not look up changes made while disconnected: %v", gerr)
					}
				}
			} else {
				w.Notice("watching referrals (Ctrl-C to stop)")
			}
			connectedBefore = true
			if cursor == "" {
				opened = startedAt
			}
			var handled bool
			cursor, handled, err = w.drain(stream, cursor)
			if handled {
				backoff = w.MinBackoff
			}
		}
		if ctx.Err() != nil {
			return cursor, nil
		}
		if !retryable(err) {
			if stream != nil && status.Code(err) != codes.Unknown {
				// The server ended an open watch for good: the token
				// expired or the caller's access ended. Reconnecting would
				// only be refused.
				err = &EndedError{Err: err}
			}
			return cursor, err
		}
		w.Notice("connection lost (%s); reconnecting in %s", reason(err), backoff)
		select {
		case <-ctx.Done():
			return cursor, nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, w.MaxBackoff)
	}
}

// EndedError says that the server ended an open watch with a refusal
// (Unauthenticated when the token expired, PermissionDenied when the
// caller's membership or roles changed), so the watch stopped instead of
// reconnecting.
type EndedError struct{ Err error }

func (e *EndedError) Error() string { return "the server ended the watch: " + e.Err.Error() }

// Unwrap returns the server's status.
func (e *EndedError) Unwrap() error { return e.Err }

// drain handles events until the stream ends, returning the new cursor,
// whether any event was handled, and why the stream ended.
func (w *Watcher) drain(s Stream, cursor string) (string, bool, error) {
	handled := false
	for {
		resp, err := s.Recv()
		if err != nil {
			return cursor, handled, err
		}
		ev := resp.GetEvent()
		if ev == nil {
			continue
		}
		if err := w.Handle(ev); err != nil {
			return cursor, handled, fmt.Errorf("show event: %w", err)
		}
		if ev.GetCursor() != "" {
			cursor = ev.GetCursor()
		}
		handled = true
	}
}

// retryable says whether reconnecting can help: the connection broke or
// the server was busy or restarting. A refused token, a lost permission or
// a cursor older than the server keeps (FailedPrecondition) are permanent.
func retryable(err error) bool {
	if errors.Is(err, io.EOF) {
		return true // the server ended the stream cleanly, e.g. on shutdown
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.Internal, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
		return true
	}
	return false
}

// reason says briefly why a stream ended; gRPC's own message for a lost
// connection is a nest of transport details.
func reason(err error) string {
	switch {
	case errors.Is(err, io.EOF):
		return "the server closed the stream"
	case status.Code(err) == codes.Unavailable:
		return "the server is unavailable or restarting"
	}
	return status.Convert(err).Message()
}

func resumeWhere(cursor string) string {
	if cursor == "" {
		return "from now (no event had arrived yet)"
	}
	return "after the last event shown"
}
