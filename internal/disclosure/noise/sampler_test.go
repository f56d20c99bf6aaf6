package noise_test

import (
	"crypto/rand"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"math"
	mrand "math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/casebridge/casebridge/internal/disclosure/noise"
)

// seeded is a reproducible source of bytes for the tests; production has
// no way to seed a sampler.
func seeded(seed byte) io.Reader {
	var key [32]byte
	key[0] = seed
	return mrand.NewChaCha8(key)
}

// pmf is the exact probability of z under discrete Laplace of scale t/s.
func pmf(z int64, s, t uint64) float64 {
	p := math.Exp(-float64(s) / float64(t))
	return (1 - p) / (1 + p) * math.Pow(p, math.Abs(float64(z)))
}

// chiSquare draws n samples and returns the p-value of Pearson's test of
// them against the exact pmf, over the values expected at least 20 times
// each and the two tails beyond them.
func chiSquare(t *testing.T, smp *noise.Sampler, n int, s, tt uint64) float64 {
	t.Helper()
	m := int64(0)
	for float64(n)*pmf(m+1, s, tt) >= 20 {
		m++
	}
	obs := make(map[int64]int, 2*m+3)
	for range n {
		z, err := smp.DiscreteLaplace(s, tt)
		if err != nil {
			t.Fatal(err)
		}
		obs[max(-m-1, min(m+1, z))]++
	}
	tail := 0.0
	for z := m + 1; ; z++ {
		q := pmf(z, s, tt)
		if q < 1e-18 {
			break
		}
		tail += q
	}
	var stat float64
	for z := -m - 1; z <= m+1; z++ {
		e := pmf(z, s, tt)
		if z < -m || z > m {
			e = tail
		}
		e *= float64(n)
		d := float64(obs[z]) - e
		stat += d * d / e
	}
	df := float64(2*m + 2) // 2m+3 bins, less one
	return distuv.ChiSquared{K: df}.Survival(stat)
}

// The sampler's values follow the exact discrete Laplace pmf, for scales
// below, at and above one, and for a scale that is not a whole number.
func TestDiscreteLaplaceMatchesPMF(t *testing.T) {
	for i, sc := range []struct{ s, t uint64 }{{1, 1}, {3, 8}, {1, 4}, {2, 1}} {
		smp := noise.NewFromReader(seeded(byte(i + 1)))
		if p := chiSquare(t, smp, 40_000, sc.s, sc.t); p < 1e-3 {
			t.Errorf("scale %d/%d: chi-square p-value %.2g: the samples do not follow the pmf", sc.t, sc.s, p)
		}
	}
	// Once over crypto/rand itself, at a level that fails by chance about
	// once in a million runs.
	if p := chiSquare(t, noise.New(), 40_000, 1, 2); p < 1e-6 {
		t.Errorf("crypto/rand: chi-square p-value %.2g", p)
	}
}

// The noise is symmetric: as many draws above 0 as below, and z as often
// as −z, up to chance.
func TestDiscreteLaplaceSymmetric(t *testing.T) {
	smp := noise.NewFromReader(seeded(9))
	const n = 40_000
	var pos, neg, zero int
	pairs := map[int64][2]int{}
	for range n {
		z, err := smp.Noise(noise.Epsilon{Num: 1, Den: 2}, 3) // scale 6
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case z > 0:
			pos++
		case z < 0:
			neg++
		default:
			zero++
		}
		if a := min(z, -z); a < 0 && a >= -10 {
			pr := pairs[-a]
			if z > 0 {
				pr[0]++
			} else {
				pr[1]++
			}
			pairs[-a] = pr
		}
	}
	if d := math.Abs(float64(pos - neg)); d > 5*math.Sqrt(float64(pos+neg)) {
		t.Errorf("%d above 0, %d below: not symmetric", pos, neg)
	}
	for a, pr := range pairs {
		if d := math.Abs(float64(pr[0] - pr[1])); d > 5*math.Sqrt(float64(pr[0]+pr[1])) {
			t.Errorf("%d drawn %d times, -%d %d times", a, pr[0], a, pr[1])
		}
	}
	// Scale 6 (p = exp(-1/6)): P(0) = (1-p)/(1+p).
	p := math.Exp(-1.0 / 6)
	want := (1 - p) / (1 + p) * n
	if d := math.Abs(float64(zero) - want); d > 5*math.Sqrt(want) {
		t.Errorf("0 drawn %d times, want about %.0f", zero, want)
	}
}

// Each exp(−γ) trial is true with probability exp(−γ), for γ of 0, below
// 1, 1 and above 1.
func TestBernoulliExp(t *testing.T) {
	smp := noise.NewFromReader(seeded(3))
	const n = 40_000
	for _, g := range []struct{ num, den uint64 }{{0, 1}, {1, 3}, {1, 1}, {5, 2}} {
		hits := 0
		for range n {
			ok, err := smp.BernoulliExp(g.num, g.den)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				hits++
			}
		}
		q := math.Exp(-float64(g.num) / float64(g.den))
		sd := math.Sqrt(n * q * (1 - q))
		if d := math.Abs(float64(hits) - n*q); d > 5*sd+1e-9 {
			t.Errorf("exp(-%d/%d): %d of %d, want about %.0f", g.num, g.den, hits, n, n*q)
		}
	}
}

// Uniform draws cover their range evenly (chi-square over 7 values, which
// does not divide 2^64, so the rejection step matters).
func TestUniform(t *testing.T) {
	smp := noise.NewFromReader(rand.Reader)
	const n, k = 35_000, 7
	var obs [k]int
	for range n {
		x, err := smp.Uniform(k)
		if err != nil {
			t.Fatal(err)
		}
		obs[x]++
	}
	var stat float64
	for _, o := range obs {
		d := float64(o) - n/k
		stat += d * d / (n / k)
	}
	if p := (distuv.ChiSquared{K: k - 1}).Survival(stat); p < 1e-6 {
		t.Errorf("uniform below 7: %v, p-value %.2g", obs, p)
	}
}

// A source that fails fails the draw: noise is never made up.
func TestSourceFailure(t *testing.T) {
	smp := noise.NewFromReader(strings.NewReader("short"))
	if _, err := smp.Noise(noise.Epsilon{Num: 1, Den: 1}, 1); err == nil {
		t.Fatal("a failing random source gave noise")
	}
}

// The sampler's code holds no floating-point type, literal or math
// function call: the mechanism is exact only while that stays so.
func TestSamplerHasNoFloats(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "sampler.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			if n.Name == "float64" || n.Name == "float32" {
				t.Errorf("sampler.go uses %s", n.Name)
			}
		case *ast.BasicLit:
			if n.Kind == token.FLOAT {
				t.Errorf("sampler.go has the float literal %s", n.Value)
			}
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok && x.Name == "math" && !strings.HasPrefix(n.Sel.Name, "Max") {
				t.Errorf("sampler.go calls math.%s", n.Sel.Name)
			}
		}
		return true
	})
}

func TestParseEpsilon(t *testing.T) {
	for in, want := range map[string]noise.Epsilon{"1/4": {1, 4}, "0.25": {1, 4}, "2": {2, 1}, " 3/6 ": {1, 2}} {
		got, err := noise.ParseEpsilon(in)
		if err != nil || got != want {
			t.Errorf("ParseEpsilon(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "-1", "x", "1/0", "1/2000000"} {
		if _, err := noise.ParseEpsilon(in); err == nil {
			t.Errorf("ParseEpsilon(%q) accepted", in)
		}
	}
}

func BenchmarkNoise(b *testing.B) {
	smp := noise.New()
	for b.Loop() {
		if _, err := smp.Noise(noise.Epsilon{Num: 1, Den: 2}, 8); err != nil {
			b.Fatal(err)
		}
	}
}
