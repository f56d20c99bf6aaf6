package cli

import (
	"errors"
	"fmt"
)

// UsageError is a mistake in how a command was typed: an unknown command or
// flag, a missing argument, a flag value that cannot be parsed. casectl
// exits with status 2 for it, so scripts can tell it from a refused call.
type UsageError struct {
	// Command is the full command path, e.g. "casectl cases new"; Execute
	// fills it in when a command's Run returns a UsageError without it.
	Command string
	Msg     string
}

func (e *UsageError) Error() string {
	if e.Command == "" {
		return e.Msg
	}
	return fmt.Sprintf("%s: %s\nRun '%s --help' for usage.", e.Command, e.Msg, e.Command)
}

// ExitCode is 2: the command line was wrong, nothing was sent.
func (e *UsageError) ExitCode() int { return 2 }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// withCommand names the command in a UsageError that does not name one yet.
func withCommand(err error, path string) error {
	var ue *UsageError
	if errors.As(err, &ue) && ue.Command == "" {
		ue.Command = path
	}
	return err
}
