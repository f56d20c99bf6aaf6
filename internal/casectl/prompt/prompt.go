// Package prompt asks questions on a terminal: the intake questions of
// 'cases new', the confirmation before an erasure. Typing a victim's name
// at a prompt keeps it out of the shell history, where a flag would leave it.
package prompt

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// IsTerminal reports whether f is attached to a terminal.
func IsTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

// Asker reads answers from in and writes questions to out.
type Asker struct {
	in  *bufio.Reader
	out io.Writer
}

// New returns an Asker on in and out (the terminal's stdin and stderr, so
// that questions never mix with results on stdout).
func New(in io.Reader, out io.Writer) *Asker {
	return &Asker{in: bufio.NewReader(in), out: out}
}

// ErrGaveUp is returned (wrapped with the last refusal) when a question got
// maxTries bad answers: the caller may skip that question and go on.
var ErrGaveUp = errors.New("too many bad answers")

// maxTries bounds how often a question is repeated after a bad answer.
const maxTries = 5

// Ask asks question until accept takes the answer (trimmed; "" when the
// user just pressed Enter). accept's error is shown and the question asked
// again.
func (a *Asker) Ask(question string, accept func(answer string) error) error {
	for try := 0; ; try++ {
		fmt.Fprint(a.out, question)
		line, err := a.in.ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			if errors.Is(err, io.EOF) {
				return errors.New("no answer: input ended")
			}
			return fmt.Errorf("read answer: %w", err)
		}
		aerr := accept(strings.TrimSpace(line))
		if aerr == nil {
			return nil
		}
		if try+1 >= maxTries {
			return fmt.Errorf("%w: %w", ErrGaveUp, aerr)
		}
		fmt.Fprintf(a.out, "  %v\n", aerr)
	}
}

// Line asks for a free-text answer; "" when the user skipped it.
func (a *Asker) Line(question string) (string, error) {
	var out string
	err := a.Ask(question, func(s string) error { out = s; return nil })
	return out, err
}

// Confirm asks the user to type want exactly (a case reference before an
// erasure): harder to do by reflex than answering "y".
func (a *Asker) Confirm(question, want string) (bool, error) {
	answer, err := a.Line(question)
	if err != nil {
		return false, err
	}
	return answer == want, nil
}
