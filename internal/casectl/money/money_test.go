package money

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in       string
		currency string
		minor    int64
	}{
		{"1234.50 EUR", "EUR", 123450},
		{"1234.5 EUR", "EUR", 123450},
		{"1234 EUR", "EUR", 123400},
		{"0.01 EUR", "EUR", 1},
		{".5 EUR", "EUR", 50},
		{"EUR 99.99", "EUR", 9999},
		{"  12.30   eur ", "EUR", 1230},
		{"-20 EUR", "EUR", -2000},
		{"+7 USD", "USD", 700},
		// ISO 4217 gives the dinar, denar, mark and lek two digits, whatever CLDR says about cash.
		{"150000 RSD", "RSD", 15000000},
		{"1500.25 RSD", "RSD", 150025},
		{"61.5 MKD", "MKD", 6150},
		{"10 BAM", "BAM", 1000},
		{"3000.10 ALL", "ALL", 300010},
		{"19.99 GBP", "GBP", 1999},
		{"500 JPY", "JPY", 500},
		{"1.234 KWD", "KWD", 1234},
		{"92233720368547758.07 EUR", "EUR", 9223372036854775807},
		{"0 EUR", "EUR", 0},
	} {
		m, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if m.GetCurrencyCode() != tc.currency || m.GetAmountMinor() != tc.minor {
			t.Errorf("Parse(%q) = %d %s, want %d %s", tc.in, m.GetAmountMinor(), m.GetCurrencyCode(), tc.minor, tc.currency)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1234.50", "amount and an ISO 4217 currency"},
		{"EUR", "amount and an ISO 4217 currency"},
		{"12.345 EUR", "at most 2 decimal places"},
		{"1.5 JPY", "no minor unit"},
		{"1,234.50 EUR", "dot for decimals"},
		{"1.234,50 EUR", "dot for decimals"},
		{"1_000 EUR", "dot for decimals"},
		{"12. EUR", "nothing after the decimal dot"},
		{"1e3 EUR", "not a digit"},
		{"0x10 EUR", "not a digit"},
		{"NaN EUR", "not a digit"},
		{"12 ABC", "not an ISO 4217 currency"},
		{"12 XXX", "not an ISO 4217 currency"},
		{"12 EURO", "not an ISO 4217 currency"},
		{"92233720368547758.08 EUR", "too large"},
		{"99999999999999999999 EUR", "too large"},
		{"- EUR", "no amount"},
		{"1.2.3 EUR", "not a digit"},
	} {
		_, err := Parse(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error %v, want one containing %q", tc.in, err, tc.want)
		}
	}
}

func TestFormatRoundTrips(t *testing.T) {
	for _, tc := range []struct {
		minor int64
		code  string
		want  string
	}{
		{123450, "EUR", "1234.50 EUR"},
		{1, "EUR", "0.01 EUR"},
		{0, "EUR", "0.00 EUR"},
		{-2000, "EUR", "-20.00 EUR"},
		{-5, "EUR", "-0.05 EUR"},
		{500, "JPY", "500 JPY"},
		{1234, "KWD", "1.234 KWD"},
		{15000000, "RSD", "150000.00 RSD"},
		{-9223372036854775808, "EUR", "-92233720368547758.08 EUR"},
	} {
		got := FormatMinor(tc.minor, tc.code)
		if got != tc.want {
			t.Errorf("FormatMinor(%d, %s) = %q, want %q", tc.minor, tc.code, got, tc.want)
			continue
		}
		if tc.minor == -9223372036854775808 {
			continue // beyond what Parse accepts, on purpose
		}
		back, err := Parse(got)
		if err != nil || back.GetAmountMinor() != tc.minor || back.GetCurrencyCode() != tc.code {
			t.Errorf("Parse(Format) of %d %s = %v, %v", tc.minor, tc.code, back, err)
		}
	}
	if Format(nil) != "" {
		t.Error("Format(nil) should be empty")
	}
}
