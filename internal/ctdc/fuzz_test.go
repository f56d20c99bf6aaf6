package ctdc_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/casebridge/casebridge/internal/ctdc"
	"github.com/casebridge/casebridge/internal/ctdc/synth"
)

// FuzzReader: whatever a CTDC file holds, the import's row parser refuses
// the header, or returns rows that are either mapped (coded attributes, no
// parse error) or refused with a reason (a parse error, nothing mapped),
// with line numbers that only grow — never a panic, never a half-mapped row.
func FuzzReader(f *testing.F) {
	var file bytes.Buffer
	if err := synth.Write(&file, 5, 1); err != nil {
		f.Fatal(err)
	}
	f.Add(file.Bytes())
	header := strings.Join(ctdc.Columns(), ",") + "\n"
	f.Add([]byte(header + strings.Repeat(",", len(ctdc.Columns())-1) + "\n"))
	f.Add([]byte("\ufeff" + header + "\"unterminated\n"))
	f.Add([]byte(header + "2020,\"a\nb\",x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ctdc.NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		last := int64(1)
		for range 10000 {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatalf("Next failed on an in-memory file: %v", err)
			}
			if int64(row.GetLine()) <= last {
				t.Fatalf("row line %d after line %d", row.GetLine(), last)
			}
			last = int64(row.GetLine())
			if (row.GetParseError() == "") == (row.GetCoded() == nil) {
				t.Fatalf("line %d: parse error %q with coded %v", row.GetLine(), row.GetParseError(), row.GetCoded())
			}
		}
	})
}
