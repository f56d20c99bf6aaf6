// Package progress draws a one-line progress bar on a terminal, for long
// imports and document transfers. It is only drawn on a terminal: in a pipe or a log the carriage
// returns would be noise.
package progress

import (
	"fmt"
	"io"
	"strings"
	"time"
)

const (
	width = 30
	// every bounds how often the bar is redrawn.
	every = 100 * time.Millisecond
)

// Bar is a progress bar over a known total (bytes of a file). A nil *Bar
// draws nothing, so callers need not check whether there is a terminal.
type Bar struct {
	w     io.Writer
	label string
	total int64
	last  time.Time
	now   func() time.Time
	bytes bool // count bytes transferred rather than rows
}

// New returns a bar drawn on w, or nil when w is not a terminal.
func New(w io.Writer, terminal bool, label string, total int64) *Bar {
	if !terminal || total <= 0 {
		return nil
	}
	return &Bar{w: w, label: label, total: total, now: time.Now}
}

// NewBytes is New for a transfer of total bytes: the bar shows the bytes
// done instead of a count of rows.
func NewBytes(w io.Writer, terminal bool, label string, total int64) *Bar {
	b := New(w, terminal, label, total)
	if b != nil {
		b.bytes = true
	}
	return b
}

// Update redraws the bar at done of total, with count items so far; it
// redraws at most every 100ms.
func (b *Bar) Update(done, count int64) {
	if b == nil {
		return
	}
	if t := b.now(); t.Sub(b.last) >= every {
		b.last = t
		b.draw(done, count)
	}
}

// Finish draws the bar full and ends its line.
func (b *Bar) Finish(count int64) {
	if b == nil {
		return
	}
	b.draw(b.total, count)
	fmt.Fprintln(b.w)
}

func (b *Bar) draw(done, count int64) {
	done = min(max(done, 0), b.total)
	filled := int(done * width / b.total)
	tail := fmt.Sprintf("%d rows", count)
	if b.bytes {
		tail = fmt.Sprintf("%.1f of %.1f MB", float64(done)/1e6, float64(b.total)/1e6)
	}
	fmt.Fprintf(b.w, "\r%s [%s%s] %3d%%  %s", b.label,
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done*100/b.total, tail)
}
