// Package disclosure decides which counts of a statistical table may be
// published without pointing at a person. It knows nothing about gRPC or
// SQL: it takes groups of identical cases and returns the table's cells and
// totals, each marked published or suppressed, with the reason.
//
// The counts this package publishes are exact. Nothing is perturbed: a
// coordinator gets the true number or no number, so that figures reported
// to monitoring bodies add up and can be checked against the case files.
// Protection comes from withholding instead, in three layers: primary
// suppression, secondary suppression along the table's lines, and an
// attacker's audit of the table as it goes out. (The optional noisy tables
// are another mechanism altogether, in package noise: they withhold
// nothing and are not protected here.)
//
// # Primary suppression: no small cell
//
// Every cell and every total (row, column, layer and grand total) is
// withheld when it counts fewer than k cases. The k is the same for every
// table (5 by default).
//
// A filtered table is also compared with the broader tables an attacker
// could ask for, so that subtracting two answers cannot isolate fewer than k
// cases (the differencing attack: "count all" minus "count all but one
// nationality" is that nationality). Within each cell, the cell is withheld
// when:
//
//   - dropping any combination of the filters would add between 1 and k-1
//     cases to it (the complement rule — with no filter left this is "the
//     population without the filter, minus the population with it");
//   - one of the values a filter selects accounts for between 1 and k-1 of
//     its cases (so a selection that includes a small value cannot be
//     compared with the same selection without it);
//   - the values of a filtered attribute that are held by fewer than k cases
//     add up to between 1 and k-1 cases (otherwise "all" minus the answers
//     for each common value, one query each, leaves the rare ones).
//
// Each difference is also judged as the contributor rule judges a cell:
// it is withheld when removing any one organisation's cases from it
// leaves 1 to k-1, for an organisation could pad what a filter leaves
// out until the two answers differ by k or more, and then take its own
// cases back out of the difference.
//
// Together these make any two queries that differ only in their filters
// differ by zero or at least k cases in every published cell: if the
// narrower query could be subtracted from the broader one to leave fewer
// than k cases, either the broader one includes a small selected value
// (refused by the second rule) or the difference is exactly a complement the
// first rule measured.
//
// # Secondary suppression: no recomputable cell
//
// Totals are published next to their cells, so a withheld cell could be
// worked out as "total minus the other cells". After primary suppression,
// every margin line — a total and the cells that add up to it along one
// dimension — is examined; a line with exactly one withheld member gets a
// second one withheld (or the total, when no cell is left). This repeats
// until no line has exactly one withheld member, across rows, columns and
// layers alike: the usual hypercube heuristic. The cell chosen is the one
// that completes most other lines and opens fewest new ones, and among
// those the smallest; in a one-dimensional table that is simply the next
// smallest cell.
//
// A case with several values of a multi-valued attribute (forms of
// exploitation) counts once under each and once in a total over them, so
// such a line does not add up exactly; the line rule protects it as if it
// did, and the audit reasons about the combinations of values the cases
// have, whose sums every published figure is.
//
// # The audit: no narrowed cell
//
// The line rule is not enough: withheld cells can form cycles that the
// totals pin down to a value or two though no line has a single withheld
// member. So the table is then played against a linear-programming
// attacker (attack.go, audit.go) who knows every figure it publishes and
// what each withheld cell's label says: Reason BelowK ("fewer than k")
// puts a cell between 1 and k-1, and any other reason at k or more, since
// a cell below k is always withheld as BelowK first. For each cell
// withheld for what it counts itself (Reason.Primary) the attacker solves
// for its least and greatest value. A BelowK cell must keep every value
// from 1 to k-1, any other primary cell k values from k upwards, unless
// the figures narrow it no further than the labels alone do (a total
// below k over several listed cells bounds each of them by itself, and
// withholding cannot undo that). A Secondary cell needs no interval: it
// could have been published. While a cell falls short, one more cell is
// withheld and the attacker plays again. An audit that runs out of its
// time budget (Options.AuditBudget), or a multi-valued table of more than
// MaxMultiValuedAtoms combinations with any cell withheld, withholds
// every cell but the grand total as Unverified, relabelling those withheld
// before: their labels next to the total would be equations nobody
// checked.
//
// The attacker reasons over real numbers and rounds its two bounds
// inward: one who searches the whole-number solutions may narrow a cell
// slightly further in a rare table. Every table is protected and audited
// with all its levels of totals, as if all were published: the service
// keeps exact tables to three dimensions, which the audit can afford.
//
// # What remains
//
// The guarantees are about pairs of queries and about one table. Exact
// answers cannot rule out every attack by many queries (the "tracker"
// problem): combining several overlapping filtered tables, tables over
// different dimensions, or tables whose secondary suppression chose
// different cells, may still narrow a withheld value down; none of these
// is audited together. The complement and remainder rules close the
// common cases; the rest is why statistics are for coordinators only. A
// withheld cell also says that at least one case is there; a cell that is
// absent says that none is.
package disclosure
