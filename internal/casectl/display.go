package casectl

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/casebridge/casebridge/internal/casectl/enumarg"
)

// enumName is the short, typable name of an enum value ("in-assistance").
func enumName[E enumarg.Enum](v E) string { return enumarg.Name(v) }

// enumNames joins short names with commas.
func enumNames[E enumarg.Enum](vs []E) string { return enumarg.Names(vs) }

// choices lists the typable names of E for help texts.
func choices[E enumarg.Enum]() string { return strings.Join(enumarg.Choices[E](), ", ") }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

func itoa[N ~int32 | ~int64 | ~int](n N) string { return strconv.FormatInt(int64(n), 10) }

// nonZero shows a number, or nothing for 0 (unknown in the API).
func nonZero[N ~int32 | ~int64](n N) string {
	if n == 0 {
		return ""
	}
	return itoa(n)
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// plural is "1 calendar entry" or "3 calendar entries".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
