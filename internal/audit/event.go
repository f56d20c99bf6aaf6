// Package audit records who read or changed which case, and proves that the
// record was not altered.
//
// Every audited call leaves at least one [Event] in the insert-only table
// audit_events: handlers record reads with [Recorder.Read] (group-committed,
// durable before it returns) and mutations with [Recorder.InTx] (in the
// mutation's own transaction); the interceptors from [Recorder.Interceptors]
// record every failed call (denied, not found, invalid, ...) and a generic
// event for a successful call whose handler recorded nothing. An event holds
// ids, names and codes only — never a field value of victim data.
//
// A single chainer at a time (a PostgreSQL advisory lock elects it among
// replicas) links committed events into a hash chain in audit_chain;
// [Verify] walks the chain and reports the first broken link.
package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"time"

	"google.golang.org/grpc/codes"
)

// Event is one audited call, or one read or change inside a call. It says
// who, what and which data classes; never the data.
type Event struct {
	// ID is a UUID assigned when the event is recorded.
	ID string
	// Time is when the event was recorded (microsecond precision).
	Time time.Time
	// Subject is the caller's token subject.
	Subject string
	// OrgID is the organisation the caller acted for; "" when none applied.
	OrgID string
	// Roles are the roles the caller held in OrgID.
	Roles []string
	// Method is the full gRPC method, e.g. "/casebridge.v1.CaseService/GetCase".
	Method string
	// CaseID is the case concerned; "" when the call concerned no single case.
	CaseID string
	// Classes are the names of the sensitive classes read or written
	// ("identity", "contact", "care", "legal").
	Classes []string
	// Code is the gRPC status code name of the result: "OK", "NOT_FOUND", ...
	Code string
	// RequestID is the request id of the call.
	RequestID string
	// Details say what an administrative call acted on or changed, each as
	// "name=value" with a name from the Detail* constants: the member and
	// the roles granted or taken away, the organisation registered, the key
	// rotation started. Ids, names and codes only, never victim data.
	Details []string
}

// Linked is an event with its place in the hash chain.
type Linked struct {
	Event
	Position int64
	PrevHash []byte
	Hash     []byte
}

// codeNames are the canonical (upper snake case) names of the gRPC codes,
// as the API reports them.
var codeNames = map[codes.Code]string{
	codes.OK:                 "OK",
	codes.Canceled:           "CANCELLED",
	codes.Unknown:            "UNKNOWN",
	codes.InvalidArgument:    "INVALID_ARGUMENT",
	codes.DeadlineExceeded:   "DEADLINE_EXCEEDED",
	codes.NotFound:           "NOT_FOUND",
	codes.AlreadyExists:      "ALREADY_EXISTS",
	codes.PermissionDenied:   "PERMISSION_DENIED",
	codes.ResourceExhausted:  "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION",
	codes.Aborted:            "ABORTED",
	codes.OutOfRange:         "OUT_OF_RANGE",
	codes.Unimplemented:      "UNIMPLEMENTED",
	codes.Internal:           "INTERNAL",
	codes.Unavailable:        "UNAVAILABLE",
	codes.DataLoss:           "DATA_LOSS",
	codes.Unauthenticated:    "UNAUTHENTICATED",
}

// CodeName returns the canonical name of c, e.g. "PERMISSION_DENIED".
func CodeName(c codes.Code) string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return "UNKNOWN"
}

// hashDomain separates this chain's hashes from any other use of SHA-256.
const hashDomain = "casebridge.audit.v1"

// ChainHash is the hash of the event at position pos whose predecessor's
// hash is prev: SHA-256 over prev, pos and the event's fields in a
// canonical encoding (each string length-prefixed, each list
// count-prefixed, the time as Unix microseconds; the details list only
// when there are details). Anyone holding the rows
// can recompute it.
//
// The encoding is built in one buffer (on the stack for events of usual
// size) and hashed at once: writing each field to a hash.Hash made every
// length prefix and every string conversion an allocation, some thirty an
// event, which the chainer pays for every event every replica writes.
func ChainHash(prev []byte, pos int64, e Event) []byte {
	var stack [1024]byte
	b := append(stack[:0], hashDomain...)
	b = appendBytes(b, prev)
	b = binary.BigEndian.AppendUint64(b, uint64(pos))
	b = appendString(b, e.ID)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixMicro()))
	b = appendString(b, e.Subject)
	b = appendString(b, e.OrgID)
	b = appendList(b, e.Roles)
	b = appendString(b, e.Method)
	b = appendString(b, e.CaseID)
	b = appendList(b, e.Classes)
	b = appendString(b, e.Code)
	b = appendString(b, e.RequestID)
	// Events without details hash as they did before details existed, so
	// that a chain linked earlier still verifies.
	if len(e.Details) > 0 {
		b = appendList(b, e.Details)
	}
	sum := sha256.Sum256(b)
	return sum[:]
}

// appendBytes appends p length-prefixed (8 bytes, big-endian).
func appendBytes(b, p []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(p)))
	return append(b, p...)
}

// appendString is appendBytes of a string.
func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// appendList appends l count-prefixed, each element length-prefixed.
func appendList(b []byte, l []string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(l)))
	for _, s := range l {
		b = appendString(b, s)
	}
	return b
}
