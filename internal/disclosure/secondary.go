package disclosure

import "slices"

// line is a total and the cells one level finer that add up to it along
// one dimension: a row with its row total, a column with its column total,
// a layer's line with its margin. With a multi-valued dimension the cells
// may add up to more than the total (a case counts under each of its
// values); the line is treated as additive all the same, which errs on the
// side of withholding.
type line struct {
	total int
	cells []int
}

// lines lists every margin line of the cube, in a stable order.
func (c *cube) lines() []line {
	byKey := map[[2]int]*line{}
	var keys [][2]int
	parent := make([]string, c.opt.Dims)
	for i, cell := range c.cells {
		for d := range c.opt.Dims {
			bit := uint32(1) << uint(d)
			if cell.Has&bit == 0 {
				continue
			}
			copy(parent, cell.Values)
			parent[d] = ""
			p := c.cell(cell.Has&^bit, parent, false)
			k := [2]int{p, d}
			ln, ok := byKey[k]
			if !ok {
				ln = &line{total: p}
				byKey[k] = ln
				keys = append(keys, k)
			}
			ln.cells = append(ln.cells, i)
		}
	}
	slices.SortFunc(keys, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	out := make([]line, len(keys))
	for i, k := range keys {
		out[i] = *byKey[k]
	}
	return out
}

// secondary withholds further cells until no margin line has exactly one
// withheld member, which the others would give away by subtraction. In
// such a line it withholds a published cell: the one that settles most of
// its other lines (those with exactly one withheld member already) and
// unsettles fewest (those with none yet), and among equals the smallest —
// in a one-dimensional table simply the next smallest. When every cell of
// the line is withheld it withholds the total. Each pass only adds
// suppressions, so the loop ends.
func (c *cube) secondary() {
	lines := c.lines()
	member := make([][]int, len(c.cells)) // lines each cell belongs to
	withheld := make([]int, len(lines))   // suppressed members of each line
	for li, ln := range lines {
		for _, i := range append([]int{ln.total}, ln.cells...) {
			member[i] = append(member[i], li)
			if c.cells[i].Suppressed {
				withheld[li]++
			}
		}
	}
	// cost is how many lines suppressing cell i would newly leave with a
	// single withheld member, less those it would settle.
	cost := func(i, except int) int {
		n := 0
		for _, li := range member[i] {
			switch {
			case li == except:
			case withheld[li] == 0:
				n++
			case withheld[li] == 1:
				n--
			}
		}
		return n
	}
	for changed := true; changed; {
		changed = false
		for li, ln := range lines {
			if withheld[li] != 1 {
				continue
			}
			pick, best := -1, 0
			for _, i := range ln.cells {
				if c.cells[i].Suppressed {
					continue
				}
				score := cost(i, li)
				if pick < 0 || score < best || (score == best && c.cells[i].Count < c.cells[pick].Count) {
					pick, best = i, score
				}
			}
			if pick < 0 {
				pick = ln.total
			}
			c.cells[pick].suppress(Secondary, -1)
			for _, m := range member[pick] {
				withheld[m]++
			}
			changed = true
		}
	}
}
