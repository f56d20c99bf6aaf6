package faults

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
)

// The demo-world users the workload acts as.
const (
	Caseworker = "caseworker@shelter-a"
	Lawyer     = "lawyer@legal-b"
	Auditor    = "auditor@network"
	ownerOrg   = "shelter-a"
	legalOrg   = "legal-b"
)

// CaseRec is a case the server acknowledged creating, with what it must
// hold: its marker name, and the phone number of the last acknowledged
// update (or one of the updates tried after it, whose outcome is unknown).
type CaseRec struct {
	ID, RequestID, GivenNames string
	Phone                     string
	Maybe                     []string
	etag                      string // "" when unknown (an update's outcome was)
	referred                  bool
}

// NoteRec is an acknowledged note.
type NoteRec struct{ CaseID, ID, RequestID, Text string }

// ConsentRec is an acknowledged consent.
type ConsentRec struct{ CaseID, ID string }

// RefRec is a referral the receiver's acceptance of was acknowledged.
type RefRec struct{ CaseID, ID, GivenNames string }

// HearingRec is an acknowledged hearing.
type HearingRec struct{ ProceedingID, CaseID, ID string }

// PaymentRec is an acknowledged payment.
type PaymentRec struct {
	ClaimID, CaseID, ID string
	Minor               int64
}

// RevokeRec is an acknowledged revocation of a referral's sharing: the
// re-key that follows it rewrites the referral's texts (and the case's
// other sealed values) under a new case key, in a savepoint of the
// revocation's transaction, whose row versions therefore carry the
// savepoint's transaction id and no audit event of their own.
type RevokeRec struct{ CaseID, ID, Reason string }

// Revoked records an acknowledged revocation.
func (l *Ledger) Revoked(rec RevokeRec) {
	l.add(func(l *Ledger) { l.Revocations = append(l.Revocations, rec) })
}

// Ledger is every write the server acknowledged, and what the calls that
// failed answered.
type Ledger struct {
	mu        sync.Mutex
	Cases     []*CaseRec
	Notes     []NoteRec
	Consents  []ConsentRec
	Referrals []RefRec
	Hearings  []HearingRec
	Payments  []PaymentRec
	// Revocations the tests made (not the writers).
	Revocations []RevokeRec
	// Proceedings and claims the writers set up, which the checker lists.
	Proceedings map[string]string // proceeding id -> case id
	Claims      map[string]string // claim id -> case id

	// attempt outcomes by code, over every attempt of every call
	codes map[codes.Code]int
	// internal holds a few Internal or Unknown answers: never allowed.
	internal []string
	// overruns are attempts that outlived their deadline by more than the
	// allowed slack.
	overruns []string
	// unacked counts calls that never got an acknowledgement.
	unacked int
	// latencies holds the durations of successful attempts since the last
	// TakeLatencies, once SampleLatencies has been called (the soak's).
	sampling  bool
	latencies []time.Duration
}

// SampleLatencies makes the ledger keep the duration of every successful
// attempt until TakeLatencies collects them.
func (l *Ledger) SampleLatencies() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sampling = true
}

// TakeLatencies returns the durations kept since the last call, and
// forgets them.
func (l *Ledger) TakeLatencies() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.latencies
	l.latencies = nil
	return out
}

func newLedger() *Ledger {
	return &Ledger{codes: map[codes.Code]int{}, Proceedings: map[string]string{}, Claims: map[string]string{}}
}

func (l *Ledger) add(f func(l *Ledger)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l)
}

func (l *Ledger) attempt(method string, code codes.Code, msg string, took, limit time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.codes[code]++
	if l.sampling && code == codes.OK {
		l.latencies = append(l.latencies, took)
	}
	if (code == codes.Internal || code == codes.Unknown) && len(l.internal) < 20 {
		l.internal = append(l.internal, fmt.Sprintf("%s: %s %s", method, code, msg))
	}
	if took > limit && len(l.overruns) < 20 {
		l.overruns = append(l.overruns, fmt.Sprintf("%s: %s after a %s deadline (%s)", method, took.Round(time.Millisecond), limit, code))
	}
}

// Acked is the number of acknowledged writes.
func (l *Ledger) Acked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.Cases) + len(l.Notes) + len(l.Consents) + len(l.Referrals) + len(l.Hearings) + len(l.Payments)
}

// Internal lists the Internal (or Unknown) answers seen: a fault must
// never turn into one.
func (l *Ledger) Internal() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.internal...)
}

// Overruns lists the attempts that outlived their deadline.
func (l *Ledger) Overruns() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.overruns...)
}

// Count is how many attempts ended with code c.
func (l *Ledger) Count(c codes.Code) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.codes[c]
}

// Codes summarises the attempts' outcomes, e.g. "OK=812 Unavailable=40".
func (l *Ledger) Codes() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var parts []string
	for c, n := range l.codes {
		parts = append(parts, fmt.Sprintf("%s=%d", c, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
