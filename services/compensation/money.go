package compensation

import (
	"time"

	"github.com/casebridge/casebridge/internal/iso"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// maxAmount bounds one amount (10^15 minor units: ten trillion euros), so
// that totals of many claims stay far from int64's limit; a larger figure
// is a typing mistake.
const maxAmount = 1_000_000_000_000_000

// checkMoney checks what the declared rules cannot: that the currency is a
// real ISO 4217 currency and the amount plausible. field is the Money's path.
func checkMoney(field string, m *casebridgev1.Money) error {
	if m == nil {
		return nil
	}
	if !iso.ValidCurrency(m.GetCurrencyCode()) {
		return rpcerr.InvalidArgument(field+".currency_code", "%q is not an ISO 4217 currency code", m.GetCurrencyCode())
	}
	if a := m.GetAmountMinor(); a > maxAmount || a < -maxAmount {
		return rpcerr.InvalidArgument(field+".amount_minor", "%d minor units is beyond any plausible amount (at most %d)", a, int64(maxAmount))
	}
	return nil
}

// sameCurrency refuses an amount in another currency than the claim's
// ("" when the claim has no amount yet, which accepts any).
func sameCurrency(field, claimCurrency string, m *casebridgev1.Money) error {
	if claimCurrency == "" || m.GetCurrencyCode() == claimCurrency {
		return nil
	}
	return rpcerr.InvalidArgument(field+".currency_code",
		"the claim is in %s, this amount is in %s: one claim cannot mix currencies (record a separate claim)",
		claimCurrency, m.GetCurrencyCode())
}

// add returns a+b, and false if it overflows int64.
func add(a, b int64) (int64, bool) {
	sum := a + b
	if (b > 0 && sum < a) || (b < 0 && sum > a) {
		return 0, false
	}
	return sum, true
}

// money renders an amount of the claim's currency.
func money(currency string, minor int64) *casebridgev1.Money {
	return &casebridgev1.Money{CurrencyCode: currency, AmountMinor: minor}
}

// moneyPtr renders an optional amount.
func moneyPtr(currency string, minor *int64) *casebridgev1.Money {
	if minor == nil {
		return nil
	}
	return money(currency, *minor)
}

// checkDate checks that a YYYY-MM-DD string (the shape is checked by the
// declared rules) is a real calendar day and not in the future: the dates
// of this service record what happened. A day of slack allows for time
// zones ahead of UTC.
func checkDate(field, s string, now time.Time) error {
	if s == "" {
		return nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return rpcerr.InvalidArgument(field, "%q is not a calendar date (YYYY-MM-DD)", s)
	}
	if d.After(now.UTC().AddDate(0, 0, 1)) {
		return rpcerr.InvalidArgument(field, "%s is in the future", s)
	}
	return nil
}
