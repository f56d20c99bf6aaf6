package explain

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
)

// invalidArgument lists the server's field violations one per line as
// "field: problem", naming the casectl flag that set the field when the
// command said which one it was.
func invalidArgument(st *status.Status, hints map[string]string) string {
	var lines []string
	for _, d := range st.Details() {
		br, ok := d.(*errdetails.BadRequest)
		if !ok {
			continue
		}
		for _, v := range br.GetFieldViolations() {
			field := v.GetField()
			if flag := flagFor(field, hints); flag != "" {
				field += " (" + flag + ")"
			}
			lines = append(lines, "  "+field+": "+v.GetDescription())
		}
	}
	if len(lines) == 0 {
		return "invalid input: " + st.Message()
	}
	return "invalid input:\n" + strings.Join(lines, "\n")
}

// flagFor finds the flag for a field path, also for a path inside a
// hinted one ("case.coded.exploitation_forms[0]" → the flag of
// "case.coded.exploitation_forms").
func flagFor(field string, hints map[string]string) string {
	for f := field; f != ""; {
		if flag, ok := hints[f]; ok {
			return flag
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			return ""
		}
		f = f[:i]
	}
	return ""
}

// fieldHints is an error that knows which flags set which request fields.
type fieldHints struct {
	err   error
	hints map[string]string
}

func (h *fieldHints) Error() string { return h.err.Error() }
func (h *fieldHints) Unwrap() error { return h.err }

// WithFlags attaches to err which command-line flag set which request field
// (request path → "--flag"), so that a refused field is shown with the flag
// to fix. A nil err stays nil.
func WithFlags(err error, hints map[string]string) error {
	if err == nil {
		return nil
	}
	return &fieldHints{err: err, hints: hints}
}

func hintsOf(err error) map[string]string {
	var h *fieldHints
	if errors.As(err, &h) {
		return h.hints
	}
	return nil
}

// Wrap adds what casectl was doing to err ("create case: ..."), keeping err
// visible to errors.As. A nil err stays nil.
func Wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
