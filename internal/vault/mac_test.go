package vault

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"testing"
)

// macState gives crypto/hmac's and crypto/hkdf's results, for keys shorter
// and longer than a block and messages in several parts.
func TestMacStateMatchesTheLibrary(t *testing.T) {
	m := getMacState()
	defer m.put()
	for _, keyLen := range []int{0, 1, 16, 32, 63, 64, 65, 200} {
		for _, msgLen := range []int{0, 1, 55, 64, 300} {
			key, msg := make([]byte, keyLen), make([]byte, msgLen)
			rand.Read(key)
			rand.Read(msg)
			h := hmac.New(sha256.New, key)
			h.Write(msg)
			want := h.Sum(nil)
			var got [sha256.Size]byte
			m.hmacSHA256(&got, key, msg[:msgLen/2], msg[msgLen/2:])
			if !hmac.Equal(got[:], want) {
				t.Fatalf("HMAC, key %d bytes, message %d bytes: differs from crypto/hmac", keyLen, msgLen)
			}
		}
		secret, salt := make([]byte, 16), make([]byte, keyLen)
		rand.Read(secret)
		rand.Read(salt)
		for _, s := range [][]byte{nil, salt} {
			want, err := hkdf.Key(sha256.New, secret, s, "payload", sha256.Size)
			if err != nil {
				t.Fatal(err)
			}
			var got [sha256.Size]byte
			m.hkdfSHA256(&got, secret, s, "payload")
			if !hmac.Equal(got[:], want) {
				t.Fatalf("HKDF, salt %d bytes: differs from crypto/hkdf", len(s))
			}
		}
	}
}
