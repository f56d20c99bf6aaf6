// Package pagetoken encodes the opaque page tokens of List methods. A token
// holds the keyset position after the last item returned and a fingerprint
// of the request's filters, so that a token cannot be replayed against a
// different query (AIP-158).
package pagetoken

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrInvalid is returned for a token that is corrupt or belongs to another query.
var ErrInvalid = errors.New("page_token is invalid or does not match this request's filters")

type token struct {
	Filter string   `json:"f"`
	Keys   []string `json:"k"`
}

// Fingerprint summarises the filters of a request; parts are its filter values.
func Fingerprint(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		s := fmt.Sprint(p)
		_ = binary.Write(h, binary.LittleEndian, int64(len(s)))
		h.Write([]byte(s))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:9])
}

// Encode returns the token for the position keys under the given filter fingerprint.
func Encode(filter string, keys ...string) string {
	b, _ := json.Marshal(token{Filter: filter, Keys: keys})
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode returns the position keys of tok, checking it was made for filter.
// An empty token means the first page and returns nil keys.
func Decode(tok, filter string, nkeys int) ([]string, error) {
	if tok == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, ErrInvalid
	}
	var t token
	if err := json.Unmarshal(b, &t); err != nil || t.Filter != filter || len(t.Keys) != nkeys {
		return nil, ErrInvalid
	}
	return t.Keys, nil
}

// Size bounds a requested page size: 0 means def, and it never exceeds max.
func Size(requested, def, max int32) int {
	if requested <= 0 {
		return int(def)
	}
	if requested > max {
		return int(max)
	}
	return int(requested)
}
