package limits_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/casebridge/casebridge/internal/limits"
	"github.com/casebridge/casebridge/internal/servertest"
)

// rawConn is an HTTP/2 connection to the server spoken frame by frame, so
// that a test can do what no well-behaved gRPC client does (grpc-go never
// pings more often than every 10 s).
func rawConn(t *testing.T, addr string) (net.Conn, *http2.Framer) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(c, c)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	return c, fr
}

// goAwayFrame is what a GOAWAY said.
type goAwayFrame struct {
	ErrCode http2.ErrCode
	Debug   []byte
}

// goAway reads frames until the server's GOAWAY (acknowledging its
// settings on the way), and then expects the connection to close.
func goAway(t *testing.T, c net.Conn, fr *http2.Framer, within time.Duration) *goAwayFrame {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(within))
	var away *goAwayFrame
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			if away != nil && (errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)) {
				return away
			}
			if away != nil {
				t.Fatalf("after GOAWAY (%v): %v, want the connection closed", away.ErrCode, err)
			}
			t.Fatalf("no GOAWAY within %s: %v", within, err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = fr.WriteSettingsAck()
			}
		case *http2.GoAwayFrame:
			// The framer reuses its buffers: keep a copy.
			away = &goAwayFrame{ErrCode: f.ErrCode, Debug: bytes.Clone(f.DebugData())}
		}
	}
}

// A client pinging more often than the keepalive policy allows is told
// ENHANCE_YOUR_CALM ("too_many_pings") and disconnected; one pinging less
// often stays connected, even without a call (grpc-go's own default would
// disconnect it: no pings without a call, none more often than 5 min).
func TestKeepalivePingFloodDisconnected(t *testing.T) {
	const minTime = 100 * time.Millisecond
	env := servertest.Start(t, withLimits(func(c *limits.Config) {
		c.Transport.KeepaliveMinTime = minTime
	}))

	c, fr := rawConn(t, env.Addr)
	for i := range 5 {
		if i > 0 {
			time.Sleep(10 * minTime)
		}
		if err := fr.WritePing(false, [8]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		pingAck(t, c, fr)
	}
	stillOpen(t, c, fr, time.Second)

	c, fr = rawConn(t, env.Addr)
	for i := range attack {
		if err := fr.WritePing(false, [8]byte{byte(i)}); err != nil {
			break // the server already hung up
		}
	}
	away := goAway(t, c, fr, 10*time.Second)
	if away.ErrCode != http2.ErrCodeEnhanceYourCalm || !bytes.Contains(away.Debug, []byte("too_many_pings")) {
		t.Fatalf("GOAWAY %v %q, want ENHANCE_YOUR_CALM too_many_pings", away.ErrCode, away.Debug)
	}
}

// stillOpen checks that the server neither closes the connection nor sends
// GOAWAY for d.
func stillOpen(t *testing.T, c net.Conn, fr *http2.Framer, d time.Duration) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	for {
		f, err := fr.ReadFrame()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return
		}
		if err != nil {
			t.Fatalf("a client pinging within the policy was disconnected: %v", err)
		}
		if g, ok := f.(*http2.GoAwayFrame); ok {
			t.Fatalf("a client pinging within the policy was sent GOAWAY %v %q", g.ErrCode, g.DebugData())
		}
	}
}

// pingAck reads frames until the server acknowledges a ping, failing on a
// GOAWAY.
func pingAck(t *testing.T, c net.Conn, fr *http2.Framer) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("a client pinging within the policy: %v", err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if f.IsAck() {
				return
			}
		case *http2.GoAwayFrame:
			t.Fatalf("a client pinging within the policy was sent GOAWAY %v %q", f.ErrCode, f.DebugData())
		}
	}
}

// A connection that carries no call for the idle timeout is closed.
func TestIdleConnectionClosed(t *testing.T) {
	const idle = 500 * time.Millisecond
	env := servertest.Start(t, withLimits(func(c *limits.Config) {
		c.Transport.IdleTimeout = idle
	}))
	c, fr := rawConn(t, env.Addr)
	start := time.Now()
	away := goAway(t, c, fr, 30*time.Second)
	if away.ErrCode != http2.ErrCodeNo {
		t.Fatalf("idle connection: GOAWAY %v %q, want NO_ERROR", away.ErrCode, away.Debug)
	}
	if d := time.Since(start); d < idle {
		t.Fatalf("closed after %s, before the idle timeout of %s", d, idle)
	}
}
