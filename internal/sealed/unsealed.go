package sealed

// NotSealed lists the bytea columns of the schema that hold no value sealed
// under a case key, and why. Every other bytea column must be in the
// registry (vault.Columns): a test over the migrated schema enforces it, so
// that a new binary column is a decision, not an accident.
var NotSealed = map[string]string{
	"case_keys.wrapped":         "the case key itself, wrapped to organisation keys; erasure deletes the row",
	"audit_chain.prev_hash":     "a SHA-256 of the previous link of the audit chain; no victim data",
	"audit_chain.hash":          "a SHA-256 link of the audit chain; no victim data",
	"key_rotations.attestation": "an HMAC of a rotation's key ids under its target key; no victim data",
	"blob_chunks.data":          "document ciphertext (age STREAM under the document's own key, which is sealed under the case key); the object id names no case",
	"river_job.unique_key":      "a hash of a background job's kind and arguments, which are ids only; no victim data",
}
