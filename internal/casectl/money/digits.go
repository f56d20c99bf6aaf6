// Package money reads amounts typed on the command line ("1234.50 EUR")
// into integer minor units and writes them back, without ever going
// through a float: 0.1 + 0.2 is not 0.3 in binary, and a victim's award
// must not lose a cent on the way to the ledger.
package money

// Minor-unit digits per ISO 4217, for the currencies whose digits are not
// 2. The table follows ISO 4217 rather than CLDR (which golang.org/x/text
// uses): CLDR gives the Serbian dinar and the Albanian lek 0 digits because
// cash has no coins below one, but the API counts RSD in para and ALL in
// qindarka, 2 digits each, as ISO 4217 does — and so must every client, or
// one client's 1000 would be another's 10.
var nonDecimal = map[string]int{
	// No minor unit.
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0,
	"KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0,
	"XAF": 0, "XOF": 0, "XPF": 0,
	// Thousandths.
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	// Ten-thousandths (units of account).
	"CLF": 4, "UYW": 4,
}

// Digits is the number of minor-unit digits of an ISO 4217 currency: 2 for
// EUR, RSD, MKD, BAM, ALL, USD, GBP and most others.
func Digits(code string) int {
	if d, ok := nonDecimal[code]; ok {
		return d
	}
	return 2
}
