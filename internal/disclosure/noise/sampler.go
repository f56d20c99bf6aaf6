package noise

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Sampler draws noise. It is not safe for concurrent use: give each
// release its own (New is cheap).
type Sampler struct {
	r   io.Reader
	buf [8]byte
}

// New returns a sampler over crypto/rand. There is no way to seed it:
// noise that could be replayed would be no noise at all.
func New() *Sampler { return newFromReader(rand.Reader) }

// newFromReader is the test hook: a sampler over any source of bytes, so
// that tests can run the same draws twice. Production code uses New.
func newFromReader(r io.Reader) *Sampler {
	// Buffered, so that a draw of a few bytes is not a system call; the
	// bytes are crypto/rand's all the same.
	return &Sampler{r: bufio.NewReaderSize(r, 4096)}
}

// uniform returns an integer uniformly distributed in [0, n), n ≥ 1, by
// rejection: 64 random bits are kept only below the largest multiple of
// n, so that every remainder is equally likely.
func (s *Sampler) uniform(n uint64) (uint64, error) {
	if n == 0 {
		return 0, errors.New("noise: uniform over an empty range")
	}
	if n == 1 {
		return 0, nil
	}
	limit := math.MaxUint64 - (math.MaxUint64%n+1)%n // largest multiple of n, less 1
	for {
		if _, err := io.ReadFull(s.r, s.buf[:]); err != nil {
			return 0, fmt.Errorf("noise: random source: %w", err)
		}
		if x := binary.LittleEndian.Uint64(s.buf[:]); x <= limit {
			return x % n, nil
		}
	}
}

// bernoulli is true with probability num/(den·k), for 0 ≤ num ≤ den and
// k ≥ 1. A uniform integer below den·k is below num exactly when its
// high part (below k) is 0 and its low part (below den) is below num, so
// the product is never formed and cannot overflow.
func (s *Sampler) bernoulli(num, den, k uint64) (bool, error) {
	hi, err := s.uniform(k)
	if err != nil || hi != 0 {
		return false, err
	}
	lo, err := s.uniform(den)
	return lo < num, err
}

// bernoulliExp is true with probability exp(−num/den), for num ≥ 0 and
// den ≥ 1 (Canonne, Kamath and Steinke, Algorithm 1). For γ = num/den ≤ 1
// it counts the trials of Bernoulli(γ/1), Bernoulli(γ/2), ... up to the
// first failure; the chance that the first failure is at an odd position
// is Σ (−γ)^j / j! = exp(−γ). A larger γ is split into whole steps of
// exp(−1) and the remainder.
func (s *Sampler) bernoulliExp(num, den uint64) (bool, error) {
	for num > den {
		ok, err := s.bernoulliExp(1, 1)
		if err != nil || !ok {
			return false, err
		}
		num -= den
	}
	k := uint64(1)
	for {
		ok, err := s.bernoulli(num, den, k)
		if err != nil {
			return false, err
		}
		if !ok {
			return k%2 == 1, nil
		}
		k++
	}
}

// DiscreteLaplace returns Z with P(Z = z) ∝ exp(−|z|·s/t), the discrete
// Laplace distribution of scale t/s, for whole s, t ≥ 1 (Canonne, Kamath
// and Steinke, Algorithm 2). X = U + t·V is geometric with parameter
// exp(−1/t), U uniform below t kept with probability exp(−U/t) and V
// geometric with parameter exp(−1); ⌊X/s⌋ is then geometric with
// parameter exp(−s/t), a random sign makes it two-sided, and "−0" is
// rejected so that 0 is not counted twice.
func (s *Sampler) DiscreteLaplace(sNum, t uint64) (int64, error) {
	if sNum == 0 || t == 0 {
		return 0, errors.New("noise: scale must be a positive fraction")
	}
	for {
		u, err := s.uniform(t)
		if err != nil {
			return 0, err
		}
		keep, err := s.bernoulliExp(u, t)
		if err != nil {
			return 0, err
		}
		if !keep {
			continue
		}
		var v uint64
		for {
			more, err := s.bernoulliExp(1, 1)
			if err != nil {
				return 0, err
			}
			if !more {
				break
			}
			v++
		}
		if v > (math.MaxUint64-u)/t {
			continue // beyond any count; happens with probability ~0
		}
		x := u + t*v
		y := x / sNum
		neg, err := s.uniform(2)
		if err != nil {
			return 0, err
		}
		if neg == 1 && y == 0 {
			continue
		}
		if y > math.MaxInt64/2 {
			continue // beyond any count; happens with probability ~0
		}
		if neg == 1 {
			return -int64(y), nil
		}
		return int64(y), nil
	}
}

// Noise returns the noise for one count of a release with privacy
// parameter eps and sensitivity delta: discrete Laplace of scale delta/ε,
// that is s/t with t = delta·Den and s = Num.
func (s *Sampler) Noise(eps Epsilon, delta int64) (int64, error) {
	if !eps.Valid() || delta < 1 {
		return 0, fmt.Errorf("noise: ε %v, sensitivity %d", eps, delta)
	}
	return s.DiscreteLaplace(uint64(eps.Num), uint64(delta)*uint64(eps.Den))
}
