package stats

import (
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/disclosure"
)

func tableOf(cells int) *disclosure.Table {
	t := &disclosure.Table{}
	for range cells {
		t.Cells = append(t.Cells, &disclosure.Cell{})
	}
	return t
}

// The cache keeps at most its bound of cells: the least recently used
// answers go first, and an answer larger than the bound is not kept.
func TestAnswerCacheBounded(t *testing.T) {
	c := newAnswerCache(100, 10)
	pop := population{sum: 1, orgs: 1}
	now := time.Now()
	c.put("a", &answer{pop: pop, tab: tableOf(4)})
	c.put("b", &answer{pop: pop, tab: tableOf(4)})
	if _, ok := c.get("a", pop, now); !ok { // a is now the most recent
		t.Fatal("a not kept")
	}
	c.put("c", &answer{pop: pop, tab: tableOf(4)})
	if _, ok := c.get("b", pop, now); ok {
		t.Error("b, least recently used, was kept past the bound")
	}
	for _, k := range []string{"a", "c"} {
		if _, ok := c.get(k, pop, now); !ok {
			t.Errorf("%s was dropped", k)
		}
	}
	if c.cells != 8 {
		t.Errorf("%d cells counted, want 8", c.cells)
	}
	c.put("huge", &answer{pop: pop, tab: tableOf(11)})
	if _, ok := c.get("huge", pop, now); ok {
		t.Error("an answer over the whole bound was kept")
	}
	c.put("a", &answer{pop: pop, tab: tableOf(2)}) // replaces a
	if c.cells != 6 {
		t.Errorf("%d cells counted after replacing a, want 6", c.cells)
	}
}

// An answer is for its population only: another version sum, another
// number of organisations, or a statistics refusal that has lapsed since
// make it stale.
func TestAnswerCacheFollowsPopulation(t *testing.T) {
	c := newAnswerCache(10, 100)
	now := time.Now()
	pop := population{sum: 7, orgs: 3, until: now.Add(time.Minute)}
	c.put("q", &answer{pop: pop, tab: tableOf(1)})
	for name, cur := range map[string]population{
		"a change": {sum: 8, orgs: 3, until: pop.until}, "a new organisation": {sum: 7, orgs: 4, until: pop.until},
	} {
		if _, ok := c.get("q", cur, now); ok {
			t.Errorf("answer kept after %s", name)
		}
	}
	if _, ok := c.get("q", pop, now); !ok {
		t.Error("answer not kept for the same population")
	}
	if _, ok := c.get("q", pop, now.Add(2*time.Minute)); ok {
		t.Error("answer kept after a refusal lapsed")
	}
}
