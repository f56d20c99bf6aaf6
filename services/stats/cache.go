package stats

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/disclosure"
	"github.com/casebridge/casebridge/internal/referral"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Cache bounds: the answers kept, and the cells they hold together (a wide
// export can hold many). Past either, the least recently used go.
const (
	defaultCacheEntries = 256
	defaultCacheCells   = 2_000_000
)

// population identifies the population an answer counted: the sum of the
// organisations' population versions (see migration 00066: every change to
// a case, a statistics consent or an organisation's kind bumps one), how
// many organisations have one, and the moment the next statistics refusal
// lapses (a lapsing refusal changes the population without a write).
type population struct {
	sum, orgs int64
	until     time.Time // zero: no refusal lapses
}

// populationSQL reads the population's identity. It is run in the same
// snapshot as the counts it stands for.
var populationSQL = `SELECT coalesce(sum(version), 0)::bigint, count(*),
	(SELECT min(s.expire_time) FROM consents s
		WHERE ` + referral.PurposeSQL("s", casebridgev1.ConsentPurpose_CONSENT_PURPOSE_STATISTICS) + ` AND ` + referral.RefusalInForceSQL("s") + `)
	FROM stats_population`

func readPopulation(ctx context.Context, q db.Querier) (population, error) {
	var p population
	var until *time.Time
	if err := q.QueryRow(ctx, populationSQL).Scan(&p.sum, &p.orgs, &until); err != nil {
		return population{}, fmt.Errorf("read population version: %w", err)
	}
	if until != nil {
		p.until = *until
	}
	return p, nil
}

// same reports whether an answer about p still holds for now, whose
// population reads as cur.
func (p population) same(cur population, now time.Time) bool {
	return p.sum == cur.sum && p.orgs == cur.orgs && (p.until.IsZero() || now.Before(p.until))
}

// answer is a table ready to lay out: protected (or noisy) in the
// canonical column order, with how it was made.
type answer struct {
	pop     population
	tab     *disclosure.Table
	release *release // nil for an exact table
}

// answerCache keeps recent answers per query, each with the population it
// counted, so that the same query over an unchanged population is answered
// without counting again — and, for a noisy one, with the same noise: a
// repeated noisy query can neither average its noise away nor spend the
// budget twice. It is per replica and bounded in memory.
type answerCache struct {
	lru      *lru.Cache[string, *answer]
	mu       sync.Mutex
	cells    int
	maxCells int
	flight   singleflight.Group
}

func newAnswerCache(entries, maxCells int) *answerCache {
	c := &answerCache{maxCells: maxCells}
	c.lru, _ = lru.NewWithEvict(entries, func(_ string, a *answer) {
		c.mu.Lock()
		c.cells -= len(a.tab.Cells)
		c.mu.Unlock()
	})
	return c
}

// get returns the answer kept for key if it counted the population cur.
func (c *answerCache) get(key string, cur population, now time.Time) (*answer, bool) {
	a, ok := c.lru.Get(key)
	if !ok || !a.pop.same(cur, now) {
		return nil, false
	}
	return a, true
}

// put keeps a, dropping the least recently used answers while the cells
// kept exceed the bound. An answer larger than the bound is not kept.
func (c *answerCache) put(key string, a *answer) {
	n := len(a.tab.Cells)
	if n > c.maxCells {
		return
	}
	// Replacing an answer does not call the eviction callback: take the
	// old one out first, so that its cells are no longer counted.
	c.lru.Remove(key)
	c.lru.Add(key, a)
	c.mu.Lock()
	c.cells += n
	over := c.cells > c.maxCells
	c.mu.Unlock()
	for over {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			return
		}
		c.mu.Lock()
		over = c.cells > c.maxCells
		c.mu.Unlock()
	}
}

// cacheKey names a table in the canonical order of its columns, so that
// the same table asked with its dimensions in another order, or through
// CountCases and ExportCases alike, is one entry. noisy tables are kept
// apart from exact ones.
func cacheKey(t *tableSpec, noisy bool) string {
	var b strings.Builder
	b.WriteString(t.kind)
	if noisy {
		b.WriteString("|noisy|cellsOnly=" + strconv.FormatBool(t.cellsOnly))
	}
	for _, ci := range canonicalOrder(t.columns) {
		b.WriteString("|col=" + t.columns[ci].name)
	}
	for _, sel := range t.sels {
		vs := append([]string(nil), sel.values...)
		slices.Sort(vs)
		b.WriteString("|sel=" + sel.field.name + ":" + strings.Join(vs, ","))
	}
	return b.String()
}
