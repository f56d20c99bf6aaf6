package ctdc

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// maxParseError is the longest reason ImportRow.parse_error may carry.
const maxParseError = 500

// Reader reads a CTDC-layout CSV file one data line at a time.
type Reader struct {
	csv    *csv.Reader
	width  int            // number of columns in the header
	index  map[string]int // column name → position
	record []string       // the line being mapped
}

// NewReader reads and checks the header line of r. The columns the mapping
// reads must all be there, in any order; others (ControlCategory,
// RecruiterCategory, or any extra column) are ignored. Column names are
// matched ignoring case and surrounding spaces, and a UTF-8 byte order mark
// is skipped.
func NewReader(r io.Reader) (*Reader, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("ctdc: empty input: no header line")
	}
	if err != nil {
		return nil, fmt.Errorf("ctdc: read header: %w", err)
	}
	index := make(map[string]int, len(header))
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, "\uFEFF")
		}
		key := strings.ToLower(strings.TrimSpace(name))
		if key == "" {
			continue
		}
		if _, dup := index[key]; dup {
			return nil, fmt.Errorf("ctdc: header: column %q appears twice", strings.TrimSpace(name))
		}
		index[key] = i
	}
	var missing []string
	for _, col := range requiredColumns {
		if _, ok := index[strings.ToLower(col)]; !ok {
			missing = append(missing, col)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("ctdc: header lacks column(s) %s; a CTDC file needs %s",
			strings.Join(missing, ", "), strings.Join(requiredColumns, ", "))
	}
	return &Reader{csv: cr, width: len(header), index: index}, nil
}

// Next returns the next data line as an import row carrying its line number
// in the file (the header is line 1; a quoted field spanning lines counts
// every line, and the row has the number of its first). A line that cannot
// be mapped is returned with ParseError set to the reason and no coded
// attributes, not as an error. Next returns io.EOF after the last line, and
// an error only when the underlying reader fails.
func (r *Reader) Next() (*casebridgev1.ImportRow, error) {
	rec, err := r.csv.Read()
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		line := int64(pe.StartLine)
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return parseError(line, fmt.Sprintf("has %d fields, the header has %d", len(rec), r.width)), nil
		}
		return parseError(line, "malformed CSV: "+pe.Err.Error()), nil
	}
	if err != nil {
		return nil, fmt.Errorf("ctdc: read: %w", err)
	}
	line, _ := r.csv.FieldPos(0)
	r.record = rec
	coded, problems := parse(r.field)
	if len(problems) > 0 {
		return parseError(int64(line), strings.Join(problems, "; ")), nil
	}
	return &casebridgev1.ImportRow{Line: int64(line), Coded: coded}, nil
}

// field returns the value of col on the current line.
func (r *Reader) field(col string) string {
	i, ok := r.index[strings.ToLower(col)]
	if !ok || i >= len(r.record) {
		return ""
	}
	return r.record[i]
}

func parseError(line int64, reason string) *casebridgev1.ImportRow {
	if len(reason) > maxParseError {
		cut := maxParseError - len("…")
		for cut > 0 && !isRuneStart(reason[cut]) {
			cut--
		}
		reason = reason[:cut] + "…"
	}
	return &casebridgev1.ImportRow{Line: line, ParseError: reason}
}
