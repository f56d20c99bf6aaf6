// Package iso checks country and currency codes against the ISO registries
// (through golang.org/x/text's CLDR data), so that "XX" is refused as a
// country and "ABC" as a currency.
package iso

import (
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
)

// ValidCountry reports whether code is an ISO 3166-1 alpha-2 country code in
// use (including XK, Kosovo, which the region's institutions use).
func ValidCountry(code string) bool {
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return false
	}
	r, err := language.ParseRegion(code)
	return err == nil && r.IsCountry() && r.ISO3() != "ZZZ"
}

// ValidCurrency reports whether code is an ISO 4217 alphabetic currency code
// for money (not XXX, "no currency").
func ValidCurrency(code string) bool {
	if len(code) != 3 {
		return false
	}
	u, err := currency.ParseISO(code)
	return err == nil && u.String() == code && code != "XXX"
}
