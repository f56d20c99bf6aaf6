package ical

import (
	"io"
	"unicode/utf8"
)

// maxOctets is the longest a content line may be, line break excluded
// (RFC 5545 §3.1).
const maxOctets = 75

// lineWriter writes content lines ending in CRLF, folding longer ones by
// inserting CRLF and a space, never inside a UTF-8 sequence. It keeps the
// first error and writes nothing after it.
type lineWriter struct {
	w   io.Writer
	err error
}

func (lw *lineWriter) line(s string) {
	if lw.err != nil {
		return
	}
	_, lw.err = io.WriteString(lw.w, fold(s))
}

// fold splits s into pieces of at most maxOctets octets (the first) and
// maxOctets-1 (the continuations, after their leading space).
func fold(s string) string {
	out := make([]byte, 0, len(s)+len(s)/maxOctets*3+2)
	limit := maxOctets
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		out = append(out, s[:cut]...)
		out = append(out, "\r\n "...)
		s = s[cut:]
		limit = maxOctets - 1
	}
	out = append(out, s...)
	return string(append(out, "\r\n"...))
}
