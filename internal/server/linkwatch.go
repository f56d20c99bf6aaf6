package server

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/db"
)

// linkSilentAfter is how long the server may go without proof that
// PostgreSQL answers before the calls in flight are answered Unavailable,
// and new calls too until it answers again. A link that went silent (a
// half-open connection, a proxy or firewall that drops packets without a
// reset) reports no error: without this bound a call with no deadline of
// its own waits out its class timeout and then the bounded audit write of
// its failure, about 27 s, and gets DeadlineExceeded, which tells the
// client nothing about the database.
//
// The proof is an answer from PostgreSQL itself: a notification or a
// health check of the process's listener (every 500 ms when quiet), or,
// while the listener is quiet or reconnecting (it backs off up to 5 s), a
// ping through the pool. TCP keepalive or TCP_USER_TIMEOUT on the
// database connections would not do: behind a proxy (a pooler, a load
// balancer) the proxy's own kernel acknowledges every byte.
const linkSilentAfter = 5 * time.Second

// linkProbeTimeout bounds the watch's own ping through the pool.
const linkProbeTimeout = time.Second

// linkWatch follows the proofs that PostgreSQL answers and closes silent
// once there has been none for after; a fresh channel replaces it when
// one arrives.
type linkWatch struct {
	listener *db.Listener
	pool     *pgxpool.Pool
	after    time.Duration

	mu     sync.Mutex
	silent chan struct{}
	closed bool
}

func newLinkWatch(l *db.Listener, pool *pgxpool.Pool, after time.Duration) *linkWatch {
	return &linkWatch{listener: l, pool: pool, after: after, silent: make(chan struct{})}
}

// run samples the proofs every 100 ms (for the default bound) until ctx
// ends.
func (w *linkWatch) run(ctx context.Context) {
	t := time.NewTicker(max(w.after/50, 10*time.Millisecond))
	defer t.Stop()
	var proof atomic.Int64 // unix nanoseconds of the last answer
	proof.Store(time.Now().UnixNano())
	var probing atomic.Bool
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		if quiet := w.listener.SinceAlive(); quiet < linkProbeTimeout {
			proof.Store(max(proof.Load(), now.Add(-quiet).UnixNano()))
		} else if probing.CompareAndSwap(false, true) {
			go func() {
				defer probing.Store(false)
				pctx, cancel := context.WithTimeout(ctx, linkProbeTimeout)
				defer cancel()
				if w.pool.Ping(pctx) == nil {
					proof.Store(max(proof.Load(), time.Now().UnixNano()))
				}
			}()
		}
		quiet := now.Sub(time.Unix(0, proof.Load())) >= w.after
		w.mu.Lock()
		switch {
		case quiet && !w.closed:
			close(w.silent)
			w.closed = true
		case !quiet && w.closed:
			w.silent = make(chan struct{})
			w.closed = false
		}
		w.mu.Unlock()
	}
}

// current is the channel that closes when the link goes silent (closed
// already while it is).
func (w *linkWatch) current() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.silent
}

// unary answers a call Unavailable as soon as the link to PostgreSQL is
// silent while the call runs (at once if it is when the call arrives).
// The handler goes on in the background with its context cancelled (its
// statement is cancelled or its connection dropped, internal/db) and its
// failure audited as usual; whatever it returns then is discarded, so no
// decrypted response leaves. A write it commits nevertheless was not
// acknowledged, and its retry with the same request id finds it. inner
// (the recovery interceptor) runs on the handler's goroutine, so that a
// panic there is answered Internal rather than ending the process. Health
// checks are not watched (they say what the database's state is), nor are
// streams: their handlers own their streams until they return.
func (w *linkWatch) unary(inner grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if strings.HasPrefix(info.FullMethod, "/grpc.health.v1.Health/") {
			return inner(ctx, req, info, handler)
		}
		silent := w.current()
		select {
		case <-silent:
			return nil, errSilentLink
		default:
		}
		ctx, cancel := context.WithCancelCause(ctx)
		type result struct {
			resp any
			err  error
		}
		done := make(chan result, 1)
		go func() {
			resp, err := inner(ctx, req, info, handler)
			done <- result{resp, err}
		}()
		select {
		case r := <-done:
			cancel(nil)
			return r.resp, r.err
		case <-silent:
			cancel(errLinkSilent)
			return nil, errSilentLink
		}
	}
}

// errLinkSilent is the cause given to the context of a call abandoned
// because the link to PostgreSQL went silent.
var errLinkSilent = errors.New("the database stopped answering")

// errSilentLink is the answer to a call the silent link ended.
var errSilentLink = status.Error(codes.Unavailable, "database unavailable (it stopped answering), try again")
