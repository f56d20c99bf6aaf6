package vault

import (
	"crypto/sha256"
	"hash"
	"sync"
)

// macState computes HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869) on
// two reusable SHA-256 states. Opening an age file takes five keyed MACs
// (two HKDF derivations of two steps each, and the header MAC), each under
// a key of its own; crypto/hmac allocates five objects per key, a third of
// a GetCase's garbage. The results are crypto/hmac's and crypto/hkdf's
// (a test compares them).
//
// Its buffers live in it, not on the stack: what is passed to a hash.Hash
// or cipher.AEAD method escapes, and would be allocated at every call. A
// macState comes from macStates and is wiped before it goes back (put).
type macState struct {
	inner, outer hash.Hash
	k, pad       [sha256.BlockSize]byte
	in, prk      [sha256.Size]byte
	one          [1]byte

	// Scratch of openFast, wiped with the rest.
	body             [fieldStanzaBodySize]byte
	fileKey          [ageFileKeySize]byte
	macKey, sum, mac [sha256.Size]byte
	streamKey        [32]byte
	b64              [bodyB64Len]byte
	nonce            [12]byte
}

// getMacState takes a macState from the pool.
func getMacState() *macState { return macStates.Get().(*macState) }

// put wipes m and returns it to the pool.
func (m *macState) put() {
	clear(m.k[:])
	scrub(m.inner, &m.k)
	scrub(m.outer, &m.k)
	inner, outer := m.inner, m.outer
	*m = macState{inner: inner, outer: outer}
	macStates.Put(m)
}

var macStates = sync.Pool{New: func() any { return &macState{inner: sha256.New(), outer: sha256.New()} }}

// hmacSHA256 returns HMAC-SHA256(key, msg[0] || msg[1] || ...) in dst.
func (m *macState) hmacSHA256(dst *[sha256.Size]byte, key []byte, msg ...[]byte) {
	clear(m.k[:])
	if len(key) > sha256.BlockSize {
		s := sha256.Sum256(key)
		copy(m.k[:], s[:])
	} else {
		copy(m.k[:], key)
	}
	for i := range m.pad {
		m.pad[i] = m.k[i] ^ 0x36
	}
	m.inner.Reset()
	m.inner.Write(m.pad[:])
	for _, b := range msg {
		m.inner.Write(b)
	}
	m.inner.Sum(m.in[:0])
	for i := range m.pad {
		m.pad[i] = m.k[i] ^ 0x5c
	}
	m.outer.Reset()
	m.outer.Write(m.pad[:])
	m.outer.Write(m.in[:])
	m.outer.Sum(dst[:0])
}

// hkdfSHA256 derives 32 bytes of HKDF-SHA256(secret, salt, info) into dst:
// one block of output, so Expand is one HMAC.
func (m *macState) hkdfSHA256(dst *[sha256.Size]byte, secret, salt []byte, info string) {
	m.hmacSHA256(&m.prk, salt, secret)
	m.one[0] = 1
	m.hmacSHA256(dst, m.prk[:], []byte(info), m.one[:])
}

// scrub overwrites the block buffer of a SHA-256 state, which Reset leaves
// holding the tail of the last message (here a file key): from empty, 63
// bytes are buffered and the 64th makes a block of zeros of the buffer.
// zero is a block of zeros (a buffer of the macState: no allocation).
func scrub(h hash.Hash, zero *[sha256.BlockSize]byte) {
	h.Reset()
	h.Write(zero[:sha256.BlockSize-1])
	h.Write(zero[sha256.BlockSize-1:])
	h.Reset()
}
