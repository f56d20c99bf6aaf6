package server

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
)

// grpc-web-text is gRPC-Web with the body in base64, which browser clients
// use where binary responses cannot be streamed (grpc-web's "mode=grpcwebtext",
// the default of the protoc-gen-grpc-web clients). vanguard speaks only the
// binary framing, so grpcWebText undoes the base64 around it: the request
// body is decoded and handed on as application/grpc-web, and the response,
// whatever vanguard writes (messages and the trailer frame), is encoded
// again, each flushed part padded on its own as the protocol allows, so a
// server stream reaches the browser as it is written. Everything else
// (authentication, limits, audit) happens behind it, unchanged.

const grpcWebTextType = "application/grpc-web-text"

// grpcWebText wraps h so that it also answers grpc-web-text requests.
func grpcWebText(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		if !strings.HasPrefix(ct, grpcWebTextType) {
			h.ServeHTTP(w, r)
			return
		}
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read the request body", http.StatusBadRequest)
			return
		}
		body, err := decodeBase64Chunks(raw)
		if err != nil {
			http.Error(w, "grpc-web-text: the body is not base64", http.StatusBadRequest)
			return
		}
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.ContentLength = int64(len(body))
		r2.Header.Set("Content-Type", "application/grpc-web"+strings.TrimPrefix(ct, grpcWebTextType))
		r2.Header.Del("Content-Length")
		if a := r2.Header.Get("Accept"); strings.HasPrefix(a, grpcWebTextType) {
			r2.Header.Set("Accept", "application/grpc-web"+strings.TrimPrefix(a, grpcWebTextType))
		}
		tw := &textWriter{ResponseWriter: w}
		defer tw.finish()
		h.ServeHTTP(tw, r2)
	})
}

// decodeBase64Chunks decodes standard base64 that may be several padded
// parts one after another (a client may send it so, as the server does),
// ignoring line breaks and spaces.
func decodeBase64Chunks(raw []byte) ([]byte, error) {
	clean := make([]byte, 0, len(raw))
	for _, c := range raw {
		switch c {
		case '\r', '\n', ' ', '\t':
		default:
			clean = append(clean, c)
		}
	}
	if len(clean)%4 != 0 {
		return nil, base64.CorruptInputError(len(clean))
	}
	out := make([]byte, 0, len(clean)/4*3)
	for len(clean) > 0 {
		// Up to and including the first quantum that ends in padding: one
		// padded part.
		n := len(clean)
		if i := bytes.IndexByte(clean, '='); i >= 0 {
			n = (i/4 + 1) * 4
		}
		part, err := base64.StdEncoding.AppendDecode(out, clean[:n])
		if err != nil {
			return nil, err
		}
		out, clean = part, clean[n:]
	}
	return out, nil
}

// textWriter base64-encodes a gRPC-Web response on its way out.
type textWriter struct {
	http.ResponseWriter
	enc     io.WriteCloser // nil until the headers are written, and when not encoding
	wrote   bool
	passing bool // the response is not gRPC-Web (an HTTP error): as it is
}

func (t *textWriter) WriteHeader(code int) {
	if t.wrote {
		return
	}
	t.wrote = true
	h := t.Header()
	if ct := h.Get("Content-Type"); strings.HasPrefix(ct, "application/grpc-web") {
		h.Set("Content-Type", grpcWebTextType+strings.TrimPrefix(ct, "application/grpc-web"))
		// The encoded body is longer than anything computed for it.
		h.Del("Content-Length")
	} else {
		t.passing = true
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *textWriter) Write(p []byte) (int, error) {
	if !t.wrote {
		t.WriteHeader(http.StatusOK)
	}
	if t.passing {
		return t.ResponseWriter.Write(p)
	}
	if t.enc == nil {
		t.enc = base64.NewEncoder(base64.StdEncoding, t.ResponseWriter)
	}
	return t.enc.Write(p)
}

// Flush ends the current base64 part (with its padding) and sends it.
func (t *textWriter) Flush() {
	if !t.wrote {
		t.WriteHeader(http.StatusOK)
	}
	t.closePart()
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (t *textWriter) closePart() {
	if t.enc != nil {
		_ = t.enc.Close()
		t.enc = nil
	}
}

// finish writes what is left of the last part.
func (t *textWriter) finish() { t.closePart() }

// Unwrap lets http.ResponseController reach the connection's writer.
func (t *textWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
