package scheduler

import (
	"reflect"
	"time"
)

// Job kinds. A kind is stored with every job: renaming one strands the jobs
// of the old name, so they are never renamed.
const (
	KindConsentSweep = "consent_sweep"
	KindKeyRotation  = "key_rotation"
	KindTaskSweep    = "task_sweep"
	KindDigestSweep  = "digest_sweep"
	KindDigest       = "digest"
)

// ConsentSweepArgs ends the sharing that relied on lapsed consents
// (periodic).
type ConsentSweepArgs struct{}

// Kind names the job.
func (ConsentSweepArgs) Kind() string { return KindConsentSweep }

// KeyRotationArgs moves the case keys of one organisation key rotation to
// the new key, then finishes it. OrphanJobID is set on a job that takes
// over from the job of that id, left "running" by a replica that died with
// it; it makes the takeover unique per orphan.
type KeyRotationArgs struct {
	RotationID  string `json:"rotation_id"`
	OrphanJobID int64  `json:"orphan_job_id,omitempty"`
}

// Kind names the job.
func (KeyRotationArgs) Kind() string { return KindKeyRotation }

// TaskSweepArgs creates the tasks the system raises by itself (a consent
// about to expire, a referral left pending, a hearing tomorrow, a deadline
// or a support-plan review coming up) (periodic).
type TaskSweepArgs struct{}

// Kind names the job.
func (TaskSweepArgs) Kind() string { return KindTaskSweep }

// DigestSweepArgs finds the members whose daily digest is due and enqueues
// one DigestArgs job each (periodic).
type DigestSweepArgs struct{}

// Kind names the job.
func (DigestSweepArgs) Kind() string { return KindDigestSweep }

// DigestArgs sends one member the digest of one day. The digest row the
// sweep recorded for (organisation, member, day) is the only reason it runs.
type DigestArgs struct {
	DigestID string    `json:"digest_id"`
	Day      time.Time `json:"day"`
}

// Kind names the job.
func (DigestArgs) Kind() string { return KindDigest }

// declared lists every argument type a worker may be registered for.
var declared = []any{
	ConsentSweepArgs{},
	KeyRotationArgs{},
	TaskSweepArgs{},
	DigestSweepArgs{},
	DigestArgs{},
}

// Declared returns a value of every job argument type, for the test that
// checks they carry ids only.
func Declared() []any { return append([]any(nil), declared...) }

func isDeclared(t reflect.Type) bool {
	for _, d := range declared {
		if reflect.TypeOf(d) == t {
			return true
		}
	}
	return false
}
