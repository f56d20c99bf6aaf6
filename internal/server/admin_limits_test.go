package server_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/limits"
	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
)

// adminWith starts a server whose admin listener has the HTTP limits h, and
// waits until that listener answers.
func adminWith(t *testing.T, h limits.HTTP) string {
	t.Helper()
	admin := freeAddr(t)
	servertest.Start(t, func(c *server.Config) {
		c.AdminListen = admin
		c.Limits = limits.Defaults().WithoutCallerLimits()
		c.Limits.HTTP = h
	})
	client := &http.Client{Timeout: 5 * time.Second}
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := client.Get("http://" + admin + "/metrics")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				client.CloseIdleConnections()
				return admin
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the admin listener never answered: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// closedByServer waits up to within for the server to close c (the read
// ends without our own deadline passing).
func closedByServer(t *testing.T, c net.Conn, within time.Duration, what string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(within))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: still open after %s", what, within)
	}
}

// The admin listener holds at most MaxConns connections at once: one more
// is not served until one of them goes.
func TestAdminListenerConnectionCap(t *testing.T) {
	const maxConns = 2
	h := limits.Defaults().HTTP
	h.MaxConns = maxConns
	admin := adminWith(t, h)
	var held []net.Conn
	for range maxConns {
		c, err := net.Dial("tcp", admin)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	short := &http.Client{Timeout: 500 * time.Millisecond}
	if resp, err := short.Get("http://" + admin + "/metrics"); err == nil {
		resp.Body.Close()
		t.Fatalf("connection %d was served while %d were held open", maxConns+1, maxConns)
	}
	held[0].Close()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatalf("a connection freed, another is still not served: %v", err)
	}
	resp.Body.Close()
}

// The admin listener refuses oversized headers, drops a client that never
// finishes its headers, and closes a kept-alive connection left idle.
func TestAdminListenerTimeoutsAndHeaderBound(t *testing.T) {
	h := limits.Defaults().HTTP
	h.ReadHeaderTimeout, h.IdleTimeout, h.MaxHeaderBytes = time.Second, 500*time.Millisecond, 4<<10
	admin := adminWith(t, h)

	req, _ := http.NewRequest(http.MethodGet, "http://"+admin+"/metrics", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 64<<10))
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("64 KiB of headers: %s, want 431", resp.Status)
	}

	slow, err := net.Dial("tcp", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "GET /metrics HTTP/1.1\r\nHost: %s\r\n", admin) // and never the blank line
	closedByServer(t, slow, 20*time.Second, "a request whose headers never end")

	idle, err := net.Dial("tcp", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	fmt.Fprintf(idle, "GET /metrics HTTP/1.1\r\nHost: %s\r\n\r\n", admin)
	r := bufio.NewReader(idle)
	resp, err = http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close {
		t.Fatal("the server did not keep the connection alive; the idle timeout is not tested")
	}
	_ = idle.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = r.ReadByte()
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("a kept-alive connection left idle is still open after 20 s")
	}
}
