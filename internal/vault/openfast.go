package vault

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"

	"golang.org/x/crypto/chacha20poly1305"
)

// The fast path of open: a sealed field is an age file seal wrote, so its
// header has one known shape. For exactly that shape openFast does what
// age.DecryptReaderAt does — check the header's binding and MAC, unwrap the
// file key from the one casebridge stanza, decrypt and authenticate every
// STREAM chunk of the payload — without age's per-file buffers (a 64 KiB
// chunk buffer per read and a re-marshalled header, about 88 KB of garbage
// per field however small). Anything else, including every damaged or
// foreign ciphertext, goes through age itself, which also classifies the
// error; openFast only ever accepts what age accepts. The stored format is
// unchanged: see the format description in README.md.
//
// The age v1 format (https://age-encryption.org/v1) as seal writes it:
//
//	age-encryption.org/v1\n
//	-> casebridge-casekey <binding> <class>\n
//	<75 base64 characters of the 56-byte stanza body, wrapped after 64>\n
//	--- <43 base64 characters of HMAC-SHA256>\n
//	<16-byte nonce><payload: 64 KiB ChaCha20-Poly1305 chunks, STREAM>
//
// The MAC covers the header up to and including "---", under
// HKDF-SHA256(file key, salt "", info "header"); the payload key is
// HKDF-SHA256(file key, salt nonce, info "payload"); chunk i's nonce is i as
// 11 big-endian bytes and a last-chunk flag byte.

const (
	ageIntro         = "age-encryption.org/v1\n"
	ageNonceSize     = 16
	ageMACSize       = sha256.Size
	bodyB64Len       = (fieldStanzaBodySize*8 + 5) / 6 // unpadded base64
	bodyFirstLineLen = 64                              // age wraps base64 at 64 columns
	macB64Len        = (ageMACSize*8 + 5) / 6
)

// ageB64 is age's base64: standard alphabet, unpadded, canonical.
var ageB64 = base64.RawStdEncoding.Strict()

// openFast decrypts ciphertext as open does, if it has the shape seal
// writes for (fk's binding) and authenticates; ok is false otherwise (the
// caller then asks age, for the answer and the error).
func openFast(fk *fieldKey, ciphertext []byte) (plaintext []byte, ok bool) {
	// The header's stanza line must name exactly this binding.
	pos := 0
	expect := func(s string) bool {
		if len(ciphertext)-pos < len(s) || string(ciphertext[pos:pos+len(s)]) != s {
			return false
		}
		pos += len(s)
		return true
	}
	if !expect(ageIntro) || !expect("-> "+fieldStanzaType+" ") || !expect(fk.caseID) || !expect(" ") ||
		!expect(string(fk.class)) || !expect("\n") {
		return nil, false
	}
	m := getMacState()
	defer m.put()
	// The body: one full line of 64 characters and a short one.
	const bodyLen = bodyB64Len + 2 // two newlines
	if len(ciphertext)-pos < bodyLen+len("--- ")+macB64Len+1 {
		return nil, false
	}
	b := ciphertext[pos : pos+bodyLen]
	if b[bodyFirstLineLen] != '\n' || b[bodyLen-1] != '\n' {
		return nil, false
	}
	copy(m.b64[:], b[:bodyFirstLineLen])
	copy(m.b64[bodyFirstLineLen:], b[bodyFirstLineLen+1:bodyLen-1])
	if n, err := ageB64.Decode(m.body[:], m.b64[:]); err != nil || n != fieldStanzaBodySize {
		return nil, false
	}
	pos += bodyLen
	macEnd := pos + len("---")
	if !expect("--- ") {
		return nil, false
	}
	if n, err := ageB64.Decode(m.mac[:], ciphertext[pos:pos+macB64Len]); err != nil || n != ageMACSize {
		return nil, false
	}
	pos += macB64Len
	if !expect("\n") {
		return nil, false
	}

	// The file key, then the header's MAC under it.
	nonce, sealed := m.body[:chacha20poly1305.NonceSizeX], m.body[chacha20poly1305.NonceSizeX:]
	fileKey, err := fk.aead.Open(m.fileKey[:0], nonce, sealed, fk.aad)
	if err != nil {
		return nil, false
	}
	m.hkdfSHA256(&m.macKey, fileKey, nil, "header")
	m.hmacSHA256(&m.sum, m.macKey[:], ciphertext[:macEnd])
	if !hmac.Equal(m.sum[:], m.mac[:]) {
		return nil, false
	}

	// The payload.
	if len(ciphertext)-pos < ageNonceSize {
		return nil, false
	}
	m.hkdfSHA256(&m.streamKey, fileKey, ciphertext[pos:pos+ageNonceSize], "payload")
	aead, err := chacha20poly1305.New(m.streamKey[:])
	if err != nil {
		return nil, false
	}
	return openStream(aead, &m.nonce, ciphertext[pos+ageNonceSize:])
}

// openStream decrypts an age STREAM payload, every chunk authenticated and
// the last one flagged, as age's reader requires: only an empty plaintext
// has an empty chunk.
func openStream(aead interface {
	Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
}, nonce *[chacha20poly1305.NonceSize]byte, payload []byte) ([]byte, bool) {
	const encChunk = ageChunkSize + ageChunkOverhead
	chunks := (len(payload) + encChunk - 1) / encChunk
	if chunks == 0 {
		return nil, false
	}
	size := len(payload) - chunks*ageChunkOverhead
	if size < 0 || (size == 0 && chunks != 1) || (size > 0 && (size+ageChunkSize-1)/ageChunkSize != chunks) {
		return nil, false
	}
	out := make([]byte, 0, size)
	clear(nonce[:])
	for i := range chunks {
		chunk := payload[i*encChunk : min((i+1)*encChunk, len(payload))]
		binary.BigEndian.PutUint64(nonce[3:11], uint64(i))
		if i == chunks-1 {
			nonce[len(nonce)-1] = 1
		}
		var err error
		if out, err = aead.Open(out, nonce[:], chunk, nil); err != nil {
			clear(out[:cap(out)])
			return nil, false
		}
	}
	return out, true
}
