package cases

import (
	"unicode/utf8"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// What an import's response lists of its rejected rows is bounded in count,
// in bytes per reason and in bytes overall, whatever the rows carried: a
// client's parse_error is never echoed beyond maxReasonBytes, so a stream of
// huge rows cannot make a huge response. Rows past the bound are still
// counted in Rejected.
const (
	maxListedRejections = 1000
	maxReasonBytes      = 200
	maxRejectionBytes   = 64 << 10
)

// reject counts a rejected row and lists it while the bounds allow.
func (j *importJob) reject(line int64, reason string) {
	j.resp.Rejected++
	reason = truncateUTF8(reason, maxReasonBytes)
	size := len(reason) + 16 // the line number and framing, generously
	if len(j.resp.Rejections) >= maxListedRejections || j.rejectionBytes+size > maxRejectionBytes {
		return
	}
	j.rejectionBytes += size
	j.resp.Rejections = append(j.resp.Rejections, &casebridgev1.ImportRejection{Line: line, Reason: reason})
}

// truncateUTF8 cuts s to at most n bytes without splitting a character,
// marking the cut with an ellipsis.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}
