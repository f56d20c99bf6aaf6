package money

import (
	"strconv"
	"strings"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Format writes m as Parse reads it ("1234.50 EUR"), or "" for nil, so
// that an amount shown by casectl can be pasted back into a command.
func Format(m *casebridgev1.Money) string {
	if m == nil {
		return ""
	}
	return FormatMinor(m.GetAmountMinor(), m.GetCurrencyCode())
}

// FormatMinor writes an amount of minor units of code.
func FormatMinor(minor int64, code string) string {
	digits := Digits(code)
	sign := ""
	// Work on the decimal string, not on -minor, which overflows for MinInt64.
	s := strconv.FormatInt(minor, 10)
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	if digits > 0 {
		if len(s) <= digits {
			s = strings.Repeat("0", digits-len(s)+1) + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	return sign + s + " " + code
}
