// Package synth writes synthetic files in the CTDC column layout with the
// skew of the published CTDC-derived victim dataset: the same columns and
// value sets, roughly the same proportions and correlations (hotline calls
// are mostly about sexual exploitation of women with unknown or US
// citizenship; case-management records mostly about forced labour, many of
// men from Ukraine, Belarus, Myanmar …), unknown values (citizenship 0,
// isForcedLabour -99), persons repeated on several rows that differ only in
// the means of control, and a thin tail of rare nationalities. Output
// depends only on the row count and the seed, so tests and the demo world
// can rely on it without the published file beside the repository.
package synth

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Header is the published file's column order.
var Header = []string{"yearOfRegistration", "Datasource", "gender", "citizenship", "isForcedLabour",
	"ControlCategory", "RecruiterCategory", "ExploitType", "Labor_Type", "ageCategories"}

// DefaultRows is the size tests use: large enough for every statistics
// dimension to have publishable cells, small enough to import in a moment.
const DefaultRows = 5000

// DefaultSeed is the seed tests and the demo world use.
const DefaultSeed = 2018

// weighted is a categorical distribution: values and their weights, the
// weights being counts in the published file.
type weighted struct {
	values  []string
	weights []int
	total   int
}

func w(pairs ...any) weighted {
	var d weighted
	for i := 0; i < len(pairs); i += 2 {
		d.values = append(d.values, pairs[i].(string))
		d.weights = append(d.weights, pairs[i+1].(int))
		d.total += pairs[i+1].(int)
	}
	return d
}

func (d weighted) draw(r *rand.Rand) string {
	n := r.IntN(d.total)
	for i, wt := range d.weights {
		if n < wt {
			return d.values[i]
		}
		n -= wt
	}
	return d.values[len(d.values)-1]
}

const (
	caseManagement = "Case Management"
	hotline        = "Hotline"
	sexual         = "Sexual Exploitation"
	forcedLabour   = "Forced Labor"
	forcedMarriage = "Forced Marriage"
	other          = "Other"
)

// The distributions, conditioned the way the published file is skewed.
var (
	source = w(hotline, 11997, caseManagement, 2302)
	year   = map[string]weighted{
		caseManagement: w("2012", 120, "2013", 237, "2014", 212, "2015", 776, "2016", 612, "2017", 305, "2018", 40),
		hotline:        w("2015", 1442, "2016", 3099, "2017", 3542, "2018", 3914),
	}
	// Rare nationalities (AF, ER) are planted separately, see Write.
	citizenship = map[string]weighted{
		caseManagement: w("UA", 1016, "BY", 232, "MM", 186, "KG", 157, "KH", 139, "NG", 98, "HT", 89, "LK", 73,
			"ID", 69, "UG", 66, "TH", 53, "PH", 38, "KE", 29, "NP", 27, "UZ", 25),
		hotline: w("0", 8353, "US", 3590, "CN", 23, "MX", 19, "KR", 12),
	}
	exploit = map[string]weighted{
		caseManagement: w(forcedLabour, 2089, sexual, 108, forcedMarriage, 75, other, 30),
		hotline:        w(sexual, 11800, forcedLabour, 151, other, 46),
	}
	laborType = map[string]weighted{
		sexual:         w("Unknown", 1),
		forcedLabour:   w("Construction", 810, "Unknown", 563, "Manufacturing", 304, "Domestic Work", 200, "Aquafarming", 91, "Begging", 88, "Agriculture", 69, "Peddling", 58, "Other", 57),
		forcedMarriage: w("Unknown", 68, "Other", 7),
		other:          w("Other", 46, "Domestic Work", 29, "Unknown", 1),
	}
	gender = map[string]weighted{
		sexual:         w("Female", 11682, "Male", 226),
		forcedLabour:   w("Female", 628, "Male", 1612),
		forcedMarriage: w("Female", 1),
		other:          w("Female", 75, "Male", 1),
	}
	age = map[bool]weighted{
		true: w("Age 0-8", 145, "Age 9-17", 4636, "Age 18-20", 2009, "Age 21-23", 1463, "Age 24-26", 1065,
			"Age 27-29", 707, "Age 30-38", 1328, "Age 39-47", 388, "Age 48+", 167),
		false: w("Age 0-8", 56, "Age 9-17", 306, "Age 18-20", 47, "Age 21-23", 84, "Age 24-26", 154,
			"Age 27-29", 188, "Age 30-38", 885, "Age 39-47", 414, "Age 48+", 257),
	}
	control   = w("Other", 5926, "Threats", 3919, "Financial", 2668, "Physical", 1590, "Survival", 196)
	recruiter = w("Not Specified", 8283, "Other", 2260, "Intimate Partner", 1523, "Family/Relative", 1147, "Friend/Acquaintance", 1086)
	// How many rows one person takes (one per means of control); the
	// published file's groups of identical rows, coarsened.
	rowsPerPerson = w("1", 2556, "2", 588, "3", 268, "4", 110, "5", 68, "6", 60, "8", 80, "12", 120, "20", 60)
)

// person is one synthetic person: every column but the means of control.
type person struct {
	year, source, gender, citizenship, forced, recruiter, exploit, labor, age string
}

func (p person) row(control string) []string {
	return []string{p.year, p.source, p.gender, p.citizenship, p.forced, control, p.recruiter, p.exploit, p.labor, p.age}
}

func draw(r *rand.Rand) person {
	src := source.draw(r)
	p := person{source: src, year: year[src].draw(r), citizenship: citizenship[src].draw(r),
		recruiter: recruiter.draw(r), exploit: exploit[src].draw(r)}
	p.labor = laborType[p.exploit].draw(r)
	p.gender = gender[p.exploit].draw(r)
	p.age = age[p.exploit == sexual].draw(r)
	switch {
	case p.exploit == forcedMarriage && r.IntN(75) < 61:
		p.forced = "-99"
	case p.exploit == forcedLabour || (p.exploit == other && p.labor != "Unknown"):
		p.forced = "1"
	default:
		p.forced = "0"
	}
	return p
}

// Rows returns n data rows (no header) for seed, ordered by year of
// registration as the published file is. Among them are exactly one
// Eritrean row and four Afghan rows (one person): the rare nationalities
// whose cells statistics must withhold.
func Rows(n int, seed uint64) [][]string {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	rare := []struct {
		p    person
		rows int
	}{
		{person{"2016", caseManagement, "Female", "ER", "1", "Other", forcedLabour, "Domestic Work", "Age 24-26"}, 1},
		{person{"2015", caseManagement, "Male", "AF", "1", "Not Specified", forcedLabour, "Construction", "Age 30-38"}, 4},
	}
	var out [][]string
	for _, x := range rare {
		for range x.rows {
			out = append(out, x.p.row(control.draw(r)))
		}
	}
	for len(out) < n {
		p := draw(r)
		k, _ := strconv.Atoi(rowsPerPerson.draw(r))
		for i := 0; i < k && len(out) < n; i++ {
			out = append(out, p.row(control.draw(r)))
		}
	}
	out = out[:max(n, 0)]
	slices.SortStableFunc(out, func(a, b []string) int { return cmp.Compare(a[0], b[0]) })
	return out
}

// Write writes a header and n data rows for seed to w.
func Write(w io.Writer, n int, seed uint64) error {
	if n < 5 {
		return fmt.Errorf("synth: %d rows is fewer than the planted rare rows (5)", n)
	}
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if err := cw.Write(Header); err != nil {
		return fmt.Errorf("synth: write header: %w", err)
	}
	if err := cw.WriteAll(Rows(n, seed)); err != nil {
		return fmt.Errorf("synth: write rows: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("synth: flush: %w", err)
	}
	return nil
}
