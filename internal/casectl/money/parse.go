package money

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/casebridge/casebridge/internal/iso"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Parse reads "1234.50 EUR" (or "EUR 1234.50", "-20 EUR" for a correction)
// into minor units of the currency. The amount is decimal digits with at
// most one dot and no more fraction digits than the currency has. A comma
// is refused rather than guessed at: in the region "1.234,50" and
// "1,234.50" are both common, and guessing wrong is a thousandfold error.
func Parse(s string) (*casebridgev1.Money, error) {
	fields := strings.Fields(s)
	if len(fields) != 2 {
		return nil, fmt.Errorf("%q: write an amount and an ISO 4217 currency, e.g. \"1234.50 EUR\"", s)
	}
	amount, code := fields[0], strings.ToUpper(fields[1])
	if isCurrencyWord(fields[0]) && !isCurrencyWord(fields[1]) {
		amount, code = fields[1], strings.ToUpper(fields[0])
	}
	if !iso.ValidCurrency(code) {
		return nil, fmt.Errorf("%q is not an ISO 4217 currency code (e.g. EUR, RSD, MKD, BAM, ALL, USD)", code)
	}
	minor, err := parseMinor(amount, Digits(code))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", s, err)
	}
	return &casebridgev1.Money{CurrencyCode: code, AmountMinor: minor}, nil
}

func isCurrencyWord(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') {
			return false
		}
	}
	return true
}

// parseMinor turns a decimal string into an integer count of 10^-digits,
// digit by digit, refusing anything that would overflow int64.
func parseMinor(amount string, digits int) (int64, error) {
	negative := false
	switch {
	case strings.HasPrefix(amount, "-"):
		negative, amount = true, amount[1:]
	case strings.HasPrefix(amount, "+"):
		amount = amount[1:]
	}
	if strings.ContainsAny(amount, ",'_ ") {
		return 0, errors.New("use a dot for decimals and no thousands separators, e.g. 1234.50")
	}
	whole, frac, hasDot := strings.Cut(amount, ".")
	if whole == "" && frac == "" {
		return 0, errors.New("no amount")
	}
	if hasDot && frac == "" {
		return 0, errors.New("nothing after the decimal dot")
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q is not a digit", r)
		}
	}
	if len(frac) > digits {
		if digits == 0 {
			return 0, errors.New("this currency has no minor unit: give a whole amount")
		}
		return 0, fmt.Errorf("at most %d decimal places for this currency", digits)
	}
	frac += strings.Repeat("0", digits-len(frac))
	var n int64
	for _, r := range whole + frac {
		d := int64(r - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, errors.New("amount too large")
		}
		n = n*10 + d
	}
	if negative {
		n = -n
	}
	return n, nil
}
