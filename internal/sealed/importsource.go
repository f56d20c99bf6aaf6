package sealed

import (
	"crypto/sha256"
	"encoding/hex"
)

// ImportSourceKey is what cases.import_source stores for an import's
// source name: a SHA-256 digest of the organisation and the name, never
// the name. The name is free text (casectl uses the file name by default,
// and a file can be named after a person), it is the same on every row of
// the import, and the server needs it only to recognise a re-run of the
// same source, which a deterministic digest does as well. It cannot be
// sealed under a case key: that would not be deterministic, and imported
// cases have no key. Migration 00052 turned existing names into digests
// with the same formula in SQL.
func ImportSourceKey(orgID, source string) string {
	sum := sha256.Sum256([]byte(orgID + "\n" + source))
	return "sha256:" + hex.EncodeToString(sum[:])
}
