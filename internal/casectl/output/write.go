package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// List writes items as a table, a JSON array or CSV.
func List[T proto.Message](w io.Writer, f Format, items []T, cols []Column[T]) error {
	switch f {
	case JSON:
		msgs := make([]proto.Message, len(items))
		for i, it := range items {
			msgs[i] = it
		}
		return JSONArray(w, msgs)
	case CSV:
		rows := make([][]string, len(items))
		for i, it := range items {
			rows[i] = cells(it, cols)
		}
		return WriteCSV(w, headers(cols), rows)
	default:
		if len(items) == 0 {
			_, err := fmt.Fprintln(w, "(none)")
			return err
		}
		cols = forPeople(cols)
		rows := make([][]string, len(items))
		for i, it := range items {
			rows[i] = cells(it, cols)
		}
		return WriteTable(w, headers(cols), rows)
	}
}

// One writes a single result: "Field: value" lines for people (empty
// values left out), a JSON object, or a CSV header and row.
func One[T proto.Message](w io.Writer, f Format, item T, fields []Column[T]) error {
	switch f {
	case JSON:
		return JSONObject(w, item)
	case CSV:
		return WriteCSV(w, headers(fields), [][]string{cells(item, fields)})
	default:
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, c := range forPeople(fields) {
			v := c.Value(item)
			if v == "" {
				continue
			}
			// A multi-line value continues under its first line.
			v = strings.ReplaceAll(strings.TrimRight(v, "\n"), "\n", "\n\t")
			fmt.Fprintf(tw, "%s:\t%s\n", label(c.Header), v)
		}
		return tw.Flush()
	}
}

// WriteTable writes aligned columns under upper-case headers.
func WriteTable(w io.Writer, headers []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(headers, "\t")))
	for _, r := range rows {
		clean := make([]string, len(r))
		for i, c := range r {
			clean[i] = oneLine(c)
		}
		fmt.Fprintln(tw, strings.Join(clean, "\t"))
	}
	return tw.Flush()
}

// oneLine keeps a table row on one line and its columns aligned.
func oneLine(s string) string {
	if s == "" {
		return "-"
	}
	return strings.NewReplacer("\n", " ", "\t", " ").Replace(s)
}

// WriteCSV writes a header row and the rows. Headers are written as
// machine names ("Assigned to" → "assigned_to") for the scripts that read them.
func WriteCSV(w io.Writer, headers []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	names := make([]string, len(headers))
	for i, h := range headers {
		names[i] = machineName(h)
	}
	if err := cw.Write(names); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

// JSONObject writes one message in protojson, indented.
func JSONObject(w io.Writer, m proto.Message) error {
	raw, err := protojson.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	return writeIndented(w, raw)
}

// JSONArray writes messages as one JSON array, indented.
func JSONArray(w io.Writer, msgs []proto.Message) error {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, m := range msgs {
		if i > 0 {
			buf.WriteByte(',')
		}
		raw, err := protojson.Marshal(m)
		if err != nil {
			return fmt.Errorf("encode JSON: %w", err)
		}
		buf.Write(raw)
	}
	buf.WriteByte(']')
	return writeIndented(w, buf.Bytes())
}

// JSONLine writes one message on one line, for streams (JSON Lines).
func JSONLine(w io.Writer, m proto.Message) error {
	raw, err := protojson.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	var buf bytes.Buffer
	// protojson's spacing is deliberately unstable; compact it.
	if err := json.Compact(&buf, raw); err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err = w.Write(buf.Bytes())
	return err
}

// writeIndented re-indents protojson's output, whose spacing is
// deliberately unstable, into a stable, readable form.
func writeIndented(w io.Writer, raw []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// label turns a column header into a field label: "recorded_by" → "Recorded by".
func label(h string) string {
	h = strings.ReplaceAll(h, "_", " ")
	switch {
	case h == "":
		return h
	case h == "id" || strings.HasPrefix(h, "id "):
		return "ID" + h[2:]
	}
	return strings.ToUpper(h[:1]) + h[1:]
}

// machineName lower-cases a header and keeps letters, digits and
// underscores: "Victim's role" → "victims_role".
func machineName(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case r == ' ' || r == '-':
			b.WriteByte('_')
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
			b.WriteRune(r)
		}
	}
	return b.String()
}
