// Package noise is the exact discrete mechanism behind Casebridge's noisy
// statistics: the two-sided geometric (discrete Laplace) distribution,
// sampled with integer arithmetic only from crypto/rand.
//
// A count c released with noise is c + Z, where
//
//	P(Z = z) = (1 − p) / (1 + p) · p^|z|,   p = exp(−ε / Δ),
//
// ε is the privacy parameter of the release and Δ its sensitivity: the most
// released counts that adding or removing one case can change, each by one.
// That release is ε-differentially private with respect to one case.
//
// Floating-point Laplace samplers leak: the set of doubles a rounded
// sample can take depends on the true value, so the low bits of a noisy
// answer can give the true one away (Mironov, "On significance of the
// least significant bits for differential privacy", 2012). Here nothing is
// a float. ε is a fraction of whole numbers (Epsilon), and the sampler is
// Algorithm 2 of Canonne, Kamath and Steinke, "The Discrete Gaussian for
// Differential Privacy" (2020): a geometric variable is drawn from exact
// Bernoulli(exp(−γ)) trials for rational γ (their Algorithm 1), each
// Bernoulli(n/d) trial from a uniform integer below d, and each uniform
// integer from crypto/rand by rejection. The distribution sampled is
// exactly the one above, not an approximation of it.
package noise
