package limits

import (
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// HTTP are the limits of every HTTP listener the server opens (the admin
// listener's metrics, pprof and probe health): a slow or hostile client
// can hold neither a connection, nor a header, nor a response for ever,
// nor open connections without bound. Zero means none of that kind.
type HTTP struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	// WriteTimeout must exceed the longest pprof profile asked for
	// (/debug/pprof/profile?seconds=30 by default).
	WriteTimeout   time.Duration
	IdleTimeout    time.Duration
	MaxHeaderBytes int
	// MaxConns bounds the connections open at once; more wait in the
	// kernel's accept queue.
	MaxConns int
}

// Server is an http.Server serving h within the limits.
func (l HTTP) Server(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}

// Listener bounds the connections lis hands out at once.
func (l HTTP) Listener(lis net.Listener) net.Listener {
	if l.MaxConns <= 0 {
		return lis
	}
	return netutil.LimitListener(lis, l.MaxConns)
}
