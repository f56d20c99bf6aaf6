package sharing

import "strings"

// Canonical spells a case id the way PostgreSQL returns it (lowercase). A
// client may send a UUID in capitals and the database accepts it, but the
// id is also bound into wrapped keys and ciphertexts, where "ABC…" and
// "abc…" are different cases.
func Canonical(caseID string) string { return strings.ToLower(caseID) }
