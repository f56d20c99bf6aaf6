package noise

import "io"

// NewFromReader exposes the test hook to the package's external tests.
func NewFromReader(r io.Reader) *Sampler { return newFromReader(r) }

// BernoulliExp exposes one exp(−num/den) trial.
func (s *Sampler) BernoulliExp(num, den uint64) (bool, error) { return s.bernoulliExp(num, den) }

// Uniform exposes one uniform draw below n.
func (s *Sampler) Uniform(n uint64) (uint64, error) { return s.uniform(n) }
