package explain

import "strings"

// unavailable words an Unavailable status. When the connection itself
// failed, gRPC's message is a nest of transport wrappers; the useful part
// is the last cause ("connect: connection refused"), plus a hint for the
// usual mistake of speaking TLS to a plaintext dev server or the reverse.
func unavailable(msg string) string {
	if !strings.Contains(msg, "connection error") && !strings.Contains(msg, "dial") {
		// The server itself said it cannot serve (e.g. PostgreSQL is down).
		return "the server is unavailable right now: " + msg
	}
	cause := msg
	if i := strings.LastIndex(cause, "desc = "); i >= 0 {
		cause = cause[i+len("desc = "):]
	}
	cause = strings.Trim(cause, `"`)
	cause = strings.TrimPrefix(cause, "transport: ")
	cause = strings.TrimPrefix(cause, "Error while dialing: ")
	out := "cannot reach the server (" + cause + ")"
	switch {
	case strings.Contains(msg, "first record does not look like a TLS handshake"),
		strings.Contains(msg, "tls:") && strings.Contains(msg, "handshake"):
		out += "; if the server runs without TLS (dev mode), log in with --insecure"
	case strings.Contains(msg, "server preface"), strings.Contains(msg, "http2"):
		out += "; if the server uses TLS, log in without --insecure (and with --ca FILE for a private CA)"
	default:
		out += "; is casebridged running there? Check the address with --server or 'casectl login'"
	}
	return out
}
