package follow

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// fakeServer is an event log that breaks the stream after a set number of
// events per connection, as a restarting server would.
type fakeServer struct {
	log     []string // cursors, in order
	perConn int
	opens   []string // the cursor each connection was opened with
	refuse  int      // connections to refuse before accepting again
}

type fakeStream struct {
	events []string
	end    error
}

func (s *fakeStream) Recv() (*casebridgev1.WatchReferralsResponse, error) {
	if len(s.events) == 0 {
		return nil, s.end
	}
	c := s.events[0]
	s.events = s.events[1:]
	return &casebridgev1.WatchReferralsResponse{Event: &casebridgev1.ReferralEvent{Cursor: c}}, nil
}

func (f *fakeServer) open(_ context.Context, cursor string) (Stream, error) {
	f.opens = append(f.opens, cursor)
	if f.refuse > 0 {
		f.refuse--
		return nil, status.Error(codes.Unavailable, "connection refused")
	}
	start := 0
	if cursor != "" {
		start = slices.Index(f.log, cursor) + 1
	}
	rest := f.log[start:]
	if len(rest) <= f.perConn {
		// Everything delivered: end with a permanent error to stop the test.
		return &fakeStream{events: rest, end: status.Error(codes.PermissionDenied, "membership ended")}, nil
	}
	return &fakeStream{events: rest[:f.perConn], end: status.Error(codes.Unavailable, "server shutting down")}, nil
}

func TestReconnectsWithCursorAndLosesNothing(t *testing.T) {
	srv := &fakeServer{log: []string{"c1", "c2", "c3", "c4", "c5"}, perConn: 2, refuse: 0}
	var seen []string
	var notices []string
	w := &Watcher{
		Open:       srv.open,
		Handle:     func(e *casebridgev1.ReferralEvent) error { seen = append(seen, e.GetCursor()); return nil },
		Notice:     func(f string, a ...any) { notices = append(notices, fmt.Sprintf(f, a...)) },
		MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
	}
	last, err := w.Run(context.Background(), "")
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("Run ended with %v, want the permanent PermissionDenied", err)
	}
	if !slices.Equal(seen, srv.log) {
		t.Fatalf("events %v, want each of %v exactly once", seen, srv.log)
	}
	if last != "c5" {
		t.Errorf("last cursor %q", last)
	}
	if !slices.Equal(srv.opens, []string{"", "c2", "c4"}) {
		t.Errorf("connections opened with cursors %q, want \"\", c2, c4", srv.opens)
	}
	if len(notices) == 0 {
		t.Error("no notice of the reconnections")
	}
}

func TestRetriesWhileTheServerIsDown(t *testing.T) {
	srv := &fakeServer{log: []string{"c1", "c2", "c3"}, perConn: 1, refuse: 3}
	var seen []string
	w := &Watcher{
		Open:       srv.open,
		Handle:     func(e *casebridgev1.ReferralEvent) error { seen = append(seen, e.GetCursor()); return nil },
		Notice:     func(string, ...any) {},
		MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
	}
	if _, err := w.Run(context.Background(), ""); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("Run: %v", err)
	}
	if !slices.Equal(seen, srv.log) {
		t.Fatalf("events %v, want %v", seen, srv.log)
	}
}

func TestGapLookedUpWhenNoCursorYet(t *testing.T) {
	// The first connection breaks before any event: there is no cursor to
	// resume from, so the changes since it opened are looked up.
	calls := 0
	var gapSince time.Time
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	w := &Watcher{
		Open: func(context.Context, string) (Stream, error) {
			calls++
			if calls == 1 {
				return &fakeStream{end: status.Error(codes.Unavailable, "restart")}, nil
			}
			return &fakeStream{end: status.Error(codes.Unauthenticated, "token expired")}, nil
		},
		Handle:     func(*casebridgev1.ReferralEvent) error { return nil },
		Notice:     func(string, ...any) {},
		Gap:        func(_ context.Context, since time.Time) error { gapSince = since; return nil },
		MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond,
		Now: func() time.Time { return t0 },
	}
	if _, err := w.Run(context.Background(), ""); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("Run: %v", err)
	}
	if !gapSince.Equal(t0) {
		t.Errorf("gap looked up since %v, want %v", gapSince, t0)
	}
}

func TestCancelStopsCleanly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	w := &Watcher{
		Open: func(context.Context, string) (Stream, error) {
			cancel()
			return nil, status.Error(codes.Canceled, "context canceled")
		},
		Handle:     func(*casebridgev1.ReferralEvent) error { return nil },
		Notice:     func(string, ...any) {},
		MinBackoff: time.Hour, MaxBackoff: time.Hour,
	}
	if _, err := w.Run(ctx, "c9"); err != nil {
		t.Fatalf("a cancelled watch should end without error, got %v", err)
	}
}
