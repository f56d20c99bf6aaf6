package noise

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// MaxTerm bounds the numerator and denominator of an Epsilon, so that
// every product the sampler forms stays far inside 64 bits.
const MaxTerm = 1_000_000

// Epsilon is a privacy parameter ε = Num/Den, a positive fraction in
// lowest terms. It is a fraction and not a float so that budgets add up
// exactly and the sampler never rounds.
type Epsilon struct {
	Num, Den int64
}

// ParseEpsilon reads ε written as a fraction ("1/4"), a decimal ("0.25")
// or a whole number ("2").
func ParseEpsilon(s string) (Epsilon, error) {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
	if !ok {
		return Epsilon{}, fmt.Errorf("ε %q is not a number: write it as 1/4, 0.25 or 2", s)
	}
	return FromRat(r)
}

// FromRat turns a positive fraction into an Epsilon.
func FromRat(r *big.Rat) (Epsilon, error) {
	if r.Sign() <= 0 {
		return Epsilon{}, errors.New("ε must be above 0")
	}
	if !r.Num().IsInt64() || !r.Denom().IsInt64() || r.Num().Int64() > MaxTerm || r.Denom().Int64() > MaxTerm {
		return Epsilon{}, fmt.Errorf("ε %s: numerator and denominator must be at most %d", r.RatString(), MaxTerm)
	}
	return Epsilon{Num: r.Num().Int64(), Den: r.Denom().Int64()}, nil
}

// Rat returns ε as a fraction.
func (e Epsilon) Rat() *big.Rat { return big.NewRat(e.Num, e.Den) }

// Valid reports whether e is a positive fraction within MaxTerm.
func (e Epsilon) Valid() bool {
	return e.Num > 0 && e.Den > 0 && e.Num <= MaxTerm && e.Den <= MaxTerm
}

// String writes ε as "1/4", or "2" when whole.
func (e Epsilon) String() string {
	if e.Den == 0 {
		return "0"
	}
	return e.Rat().RatString()
}
