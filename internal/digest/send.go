package digest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/google/uuid"
)

// SMTP is the mail server digests go through.
type SMTP struct {
	// Addr is host:port of the submission server.
	Addr string
	// From is the envelope and header sender.
	From string
	// Username and Password authenticate (PLAIN, only over TLS unless the
	// server is on loopback); empty: no authentication.
	Username, Password string
	// Security is "starttls" (the default: refuse a server that does not
	// offer it), "tls" (implicit TLS, port 465) or "none" (a relay on
	// loopback only).
	Security string
	// Timeout bounds the whole SMTP conversation (zero: 30 seconds).
	Timeout time.Duration
}

// errNotStarted wraps a failure before the message was handed over (no
// connection, sender or recipient refused): the digest may be retried.
var errNotStarted = errors.New("message not started")

// send delivers one plain-text message. An error wrapping errNotStarted
// means the server never received any of the message.
func (c SMTP) send(to, subject, body string) error {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	conn, err := net.DialTimeout("tcp", c.Addr, timeout)
	if err != nil {
		return fmt.Errorf("%w: connect to the SMTP server: %w", errNotStarted, err)
	}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	host, _, _ := net.SplitHostPort(c.Addr)
	tlsConfig := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	var client *smtp.Client
	switch c.Security {
	case "none":
		client = smtp.NewClient(conn)
	case "tls":
		client = smtp.NewClient(tls.Client(conn, tlsConfig))
	default:
		if client, err = smtp.NewClientStartTLS(conn, tlsConfig); err != nil {
			conn.Close()
			return fmt.Errorf("%w: STARTTLS: %w", errNotStarted, err)
		}
	}
	defer client.Close()
	if c.Username != "" {
		if err := client.Auth(sasl.NewPlainClient("", c.Username, c.Password)); err != nil {
			return fmt.Errorf("%w: authenticate: %w", errNotStarted, err)
		}
	}
	if err := client.Mail(c.From, nil); err != nil {
		return fmt.Errorf("%w: MAIL FROM: %w", errNotStarted, err)
	}
	if err := client.Rcpt(to, nil); err != nil {
		return fmt.Errorf("%w: RCPT TO: %w", errNotStarted, err)
	}
	w, err := client.Data()
	if err != nil {
		return fmt.Errorf("%w: DATA: %w", errNotStarted, err)
	}
	if _, err := w.Write(message(c.From, to, subject, body)); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end message: %w", err)
	}
	return client.Quit()
}

// message is an RFC 5322 message: UTF-8 text, quoted-printable, the
// subject encoded for non-ASCII languages.
func message(from, to, subject, body string) []byte {
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", from)
	h("To", to)
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", time.Now().UTC().Format(time.RFC1123Z))
	h("Message-ID", "<"+uuid.NewString()+"@casebridge>")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	h("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	_ = qp.Close()
	return b.Bytes()
}
