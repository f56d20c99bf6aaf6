package vault

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// keyIDLen is the length of an organisation key id in hex characters.
const keyIDLen = 16

// keyIDFor derives a key's id from its public recipient string, so ids can be
// recorded next to wrapped case keys (to plan rotation) without revealing or
// depending on anything secret.
func keyIDFor(recipient string) string {
	sum := sha256.Sum256([]byte(recipient))
	return hex.EncodeToString(sum[:])[:keyIDLen]
}

// checkKeyID accepts exactly keyIDLen lowercase hex characters. Key ids name
// files, so this is also what keeps "../" and friends out of paths.
func checkKeyID(id string) error {
	if len(id) != keyIDLen {
		return fmt.Errorf("%w: want %d lowercase hex characters", ErrInvalidKeyID, keyIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("%w: want %d lowercase hex characters", ErrInvalidKeyID, keyIDLen)
		}
	}
	return nil
}
