package iso

import "testing"

func TestValidCountry(t *testing.T) {
	for code, want := range map[string]bool{
		"RS": true, "MK": true, "AL": true, "BA": true, "XK": true, "US": true, "UA": true,
		"XX": false, "ZZ": false, "AA": false, "EU": false, "UK": false, "rs": false, "": false, "SRB": false, "419": false,
	} {
		if got := ValidCountry(code); got != want {
			t.Errorf("ValidCountry(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestValidCurrency(t *testing.T) {
	for code, want := range map[string]bool{
		"EUR": true, "RSD": true, "MKD": true, "USD": true, "BAM": true,
		"XXX": false, "ABC": false, "eur": false, "EU": false, "": false,
	} {
		if got := ValidCurrency(code); got != want {
			t.Errorf("ValidCurrency(%q) = %v, want %v", code, got, want)
		}
	}
}
