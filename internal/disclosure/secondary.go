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
			if p < 0 {
				// Every case of a cell is in its totals, so this cannot
				// happen; a missing total would only mean a shorter line.
				continue
			}
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
// such a line it withholds the smallest published cell (the least
// information lost), or the total when every cell of the line is withheld.
// Each pass only adds suppressions, so the loop ends.
func (c *cube) secondary() {
	lines := c.lines()
	for changed := true; changed; {
		changed = false
		for _, ln := range lines {
			if c.withheld(ln) != 1 {
				continue
			}
			pick := -1
			for _, i := range ln.cells {
				if c.cells[i].Suppressed {
					continue
				}
				if pick < 0 || c.cells[i].Count < c.cells[pick].Count {
					pick = i
				}
			}
			if pick < 0 {
				pick = ln.total
			}
			c.cells[pick].suppress(Secondary, -1)
			changed = true
		}
	}
}

// withheld counts the suppressed members of a line, total included.
func (c *cube) withheld(ln line) int {
	n := 0
	if c.cells[ln.total].Suppressed {
		n++
	}
	for _, i := range ln.cells {
		if c.cells[i].Suppressed {
			n++
		}
	}
	return n
}
