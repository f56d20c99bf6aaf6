// Package output prints what casectl got from the server: aligned tables
// for people, and JSON (protojson, the API's own JSON mapping) or CSV for
// scripts, chosen with --output.
package output

import (
	"fmt"
	"strings"
)

// Format is how results are written.
type Format int

const (
	// Table is aligned columns for reading (the default).
	Table Format = iota
	// JSON is the API's protojson mapping: an object for one result, an
	// array for a list.
	JSON
	// CSV is a header row and one row per result.
	CSV
)

// ParseFormat reads the value of --output.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "table", "text":
		return Table, nil
	case "json":
		return JSON, nil
	case "csv":
		return CSV, nil
	}
	return Table, fmt.Errorf("unknown output format %q (one of: table, json, csv)", s)
}

// Column is one column of a result: its header and how to get its text.
type Column[T any] struct {
	Header string
	Value  func(T) string
	// ScriptOnly columns (ids, etags) are written in CSV only: in a table
	// they would push the readable columns off the screen.
	ScriptOnly bool
}

// Col is shorthand for a Column.
func Col[T any](header string, value func(T) string) Column[T] {
	return Column[T]{Header: header, Value: value}
}

// ScriptCol is a Column written in CSV only.
func ScriptCol[T any](header string, value func(T) string) Column[T] {
	return Column[T]{Header: header, Value: value, ScriptOnly: true}
}

// forPeople leaves out the script-only columns.
func forPeople[T any](cols []Column[T]) []Column[T] {
	out := make([]Column[T], 0, len(cols))
	for _, c := range cols {
		if !c.ScriptOnly {
			out = append(out, c)
		}
	}
	return out
}

func headers[T any](cols []Column[T]) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Header
	}
	return out
}

func cells[T any](item T, cols []Column[T]) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Value(item)
	}
	return out
}
