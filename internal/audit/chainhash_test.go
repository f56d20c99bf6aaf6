package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// referenceChainHash is the chain's hash as first written, field by field
// into a hash.Hash: ChainHash must give the same bytes for every event, or
// chains linked before it changed would no longer verify.
func referenceChainHash(prev []byte, pos int64, e Event) []byte {
	h := sha256.New()
	u := func(v uint64) {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], v)
		h.Write(b[:])
	}
	str := func(s []byte) { u(uint64(len(s))); h.Write(s) }
	list := func(l []string) {
		u(uint64(len(l)))
		for _, s := range l {
			str([]byte(s))
		}
	}
	h.Write([]byte(hashDomain))
	str(prev)
	u(uint64(pos))
	str([]byte(e.ID))
	u(uint64(e.Time.UnixMicro()))
	str([]byte(e.Subject))
	str([]byte(e.OrgID))
	list(e.Roles)
	str([]byte(e.Method))
	str([]byte(e.CaseID))
	list(e.Classes)
	str([]byte(e.Code))
	str([]byte(e.RequestID))
	if len(e.Details) > 0 {
		list(e.Details)
	}
	return h.Sum(nil)
}

// TestChainHashIsTheReference: over events of every shape — empty fields
// and lists, non-ASCII text, details or none, fields longer than the stack
// buffer ChainHash starts with — ChainHash equals the reference encoding,
// and a change of any one field changes the hash.
func TestChainHashIsTheReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		n := rng.IntN(12)
		if rng.IntN(20) == 0 {
			n = 600 + rng.IntN(900)
		}
		alphabet := []rune("aZ9-ž€🙂\"\\,{}")
		return strings.Repeat(string(alphabet[rng.IntN(len(alphabet))]), n)
	}
	words := func() []string {
		var l []string
		for range rng.IntN(4) {
			l = append(l, word())
		}
		return l
	}
	for i := range 2000 {
		e := Event{ID: word(), Time: time.UnixMicro(rng.Int64N(1 << 52)), Subject: word(), OrgID: word(), Roles: words(),
			Method: word(), CaseID: word(), Classes: words(), Code: word(), RequestID: word(), Details: words()}
		prev := []byte(word())
		pos := rng.Int64N(1 << 40)
		got, want := ChainHash(prev, pos, e), referenceChainHash(prev, pos, e)
		if !bytes.Equal(got, want) {
			t.Fatalf("event %d %+v: ChainHash %x, reference %x", i, e, got, want)
		}
		e2 := e
		e2.Code += "x"
		if bytes.Equal(ChainHash(prev, pos, e2), got) {
			t.Fatalf("event %d: a changed code kept the hash", i)
		}
	}
}
