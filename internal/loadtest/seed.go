package loadtest

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// sqlSeedChunk is how many coded-only cases one INSERT writes.
const sqlSeedChunk = 100_000

// seedCodedSQL inserts n coded-only cases (no sensitive classes, as an
// ImportCases stream would leave them) straight into PostgreSQL: a
// generate_series per chunk, spread over the three demo organisations that
// own cases, with a plausible mix of years, countries, sexes, ages and
// forms of exploitation, and a statistics refusal on one case in 2,000.
func seedCodedSQL(ctx context.Context, pool *pgxpool.Pool, n int, logf func(string, ...any)) error {
	const insert = `
INSERT INTO cases (id, organization_id, reference, status, sex, age_band, child, nationality, country,
	identification_year, exploitation_forms, identification_status, import_source, import_line, close_time)
SELECT gen_random_uuid(), s.org, s.prefix || '-LT-' || lpad(s.g::text, 7, '0'), s.status,
	s.sex, s.age_band,
	CASE WHEN s.age_band = 0 THEN 0 WHEN s.age_band <= 2 THEN 1 ELSE 2 END,
	(ARRAY['RS','RS','AL','MK','BA','UA','RO','BG','NG','VN','ME','MD'])[1 + s.h % 12],
	(ARRAY['RS','RS','RS','MK','AL','BA','ME'])[1 + (s.h / 12) % 7],
	2012 + (s.h / 84) % 14,
	(ARRAY['{1}','{1}','{2}','{1,2}','{3}','{4}','{5}','{1,4}','{2,4}','{8}'])[1 + (s.h / 7) % 10]::smallint[],
	(1 + (s.h / 3) % 3)::smallint,
	'loadharness', s.g,
	CASE WHEN s.status = 4 THEN now() END
FROM (
	SELECT g, h,
		CASE WHEN g % 20 < 12 THEN 'shelter-a' WHEN g % 20 < 17 THEN 'cso-c' ELSE 'legal-b' END AS org,
		CASE WHEN g % 20 < 12 THEN 'SHA' WHEN g % 20 < 17 THEN 'CSC' ELSE 'LEB' END AS prefix,
		(CASE WHEN h % 10 < 4 THEN 1 WHEN h % 10 < 7 THEN 2 WHEN h % 10 < 8 THEN 3 ELSE 4 END)::smallint AS status,
		(CASE WHEN h % 100 < 70 THEN 1 WHEN h % 100 < 97 THEN 2 ELSE 0 END)::smallint AS sex,
		(CASE WHEN (h / 100) % 20 = 0 THEN 0 ELSE 1 + (h / 100) % 9 END)::smallint AS age_band
	FROM (SELECT g, (g::bigint * 2654435761) % 1000003 AS h FROM generate_series($1::bigint, $2::bigint) g) x
) s`
	start := time.Now()
	for from := 1; from <= n; from += sqlSeedChunk {
		to := min(from+sqlSeedChunk-1, n)
		if _, err := pool.Exec(ctx, insert, from, to); err != nil {
			return fmt.Errorf("seed coded cases %d-%d: %w", from, to, err)
		}
		logf("seeded %d of %d coded cases by SQL (%.1fs)", to, n, time.Since(start).Seconds())
	}
	_, err := pool.Exec(ctx, `INSERT INTO consents (id, case_id, purpose, decision, state, given_time, recorded_by, method)
		SELECT gen_random_uuid(), id, 3, 2, 1, now(), 'loadharness', 'seeded refusal'
		FROM cases WHERE import_source = 'loadharness' AND import_line % 2000 = 0`)
	if err != nil {
		return fmt.Errorf("seed statistics refusals: %w", err)
	}
	return nil
}

// analyze refreshes the planner's statistics after seeding, as autovacuum
// would on a live database.
func analyze(ctx context.Context, pool *pgxpool.Pool) error {
	for _, t := range []string{"cases", "consents", "case_keys", "case_secrets", "referrals"} {
		if _, err := pool.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			return fmt.Errorf("vacuum analyze %s: %w", t, err)
		}
	}
	return nil
}

// fullCase is a case created through CreateCase: its id and current etag.
type fullCase struct {
	id, etag string
}

// seedFull creates n cases with all four sensitive classes through
// CreateCase, concurrency at a time, so that GetCase has real ciphertext
// to decrypt and UpdateCase real classes to re-encrypt.
func seedFull(ctx context.Context, e *env, n, concurrency int, logf func(string, ...any)) ([]fullCase, error) {
	out := make([]fullCase, n)
	var next, done atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	stopLog := make(chan struct{})
	start := time.Now()
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stopLog:
				return
			case <-t.C:
				logf("created %d of %d full cases through CreateCase (%.0f/s)", done.Load(), n, float64(done.Load())/time.Since(start).Seconds())
			}
		}
	}()
	for w := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w)+1000, 42))
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				var c *casebridgev1.Case
				var err error
				for attempt := 0; attempt < 3; attempt++ {
					cctx, cancel := context.WithTimeout(ctx, callTimeout)
					c, err = e.createCase(cctx, rng)
					cancel()
					if err == nil {
						break
					}
				}
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("create full case: %w", err) })
					next.Store(int64(n))
					return
				}
				out[i] = fullCase{id: c.GetId(), etag: c.GetEtag()}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stopLog)
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Synthetic victim data: plausible shapes and sizes, no real person.
var (
	givenNames  = []string{"Ana", "Marija", "Elena", "Olena", "Irina", "Fatima", "Blessing", "Linh", "Arben", "Jovana", "Mira", "Dragan"}
	familyNames = []string{"Petrović", "Hoxha", "Popescu", "Kovalenko", "Nikolovska", "Okafor", "Nguyen", "Ivanova", "Marković", "Dimitrova"}
	loremWords  = strings.Fields(`the person arrived at the shelter after leaving the apartment where she was kept by the
		recruiters who had promised work in a restaurant abroad documents were taken on arrival debt was said to grow
		every week contact with family was allowed only under supervision she describes long shifts without pay threats
		against relatives at home and movement between several cities by car at night medical examination shows
		exhaustion and an untreated injury she asks for help with return documents and legal advice about compensation`)
	nationalities = []string{"RS", "AL", "MK", "BA", "UA", "RO", "BG", "NG", "VN", "ME", "MD"}
)

// text returns about n bytes of synthetic narrative.
func text(rng *rand.Rand, n int) string {
	var b strings.Builder
	b.Grow(n + 16)
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(loremWords[rng.IntN(len(loremWords))])
	}
	return b.String()
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// newCase is a case at intake with coded attributes and all four classes.
func newCase(rng *rand.Rand) *casebridgev1.Case {
	age := casebridgev1.AgeBand(1 + rng.IntN(9))
	child := casebridgev1.ChildStatus_CHILD_STATUS_ADULT
	if age <= casebridgev1.AgeBand_AGE_BAND_9_17 {
		child = casebridgev1.ChildStatus_CHILD_STATUS_CHILD
	}
	forms := []casebridgev1.ExploitationForm{casebridgev1.ExploitationForm(1 + rng.IntN(8))}
	if rng.IntN(3) == 0 && forms[0] != casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_LABOUR {
		forms = append(forms, casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_LABOUR)
	}
	return &casebridgev1.Case{
		Coded: &casebridgev1.CodedAttributes{
			Sex:                  casebridgev1.Sex(1 + rng.IntN(2)),
			AgeBand:              age,
			Child:                child,
			Nationality:          pick(rng, nationalities),
			Country:              "RS",
			IdentificationYear:   int32(2018 + rng.IntN(8)),
			ExploitationForms:    forms,
			IdentificationStatus: casebridgev1.IdentificationStatus(1 + rng.IntN(3)),
		},
		Identity: &casebridgev1.IdentityData{
			GivenNames:  pick(rng, givenNames),
			FamilyNames: pick(rng, familyNames),
			Aliases:     []string{pick(rng, givenNames)},
			DateOfBirth: fmt.Sprintf("%d-%02d-%02d", 1975+rng.IntN(30), 1+rng.IntN(12), 1+rng.IntN(28)),
			Documents: []*casebridgev1.IdentityDocument{{
				Kind: "passport", Number: fmt.Sprintf("P%08d", rng.IntN(100_000_000)),
				IssuingCountry: pick(rng, nationalities), ExpiryDate: fmt.Sprintf("%d-%02d-01", 2027+rng.IntN(8), 1+rng.IntN(12)),
			}},
		},
		Contact: &casebridgev1.ContactData{
			Phone:                   fmt.Sprintf("+381 6%d %07d", rng.IntN(10), rng.IntN(10_000_000)),
			Address:                 fmt.Sprintf("Safe house %d, room %d", 1+rng.IntN(9), 1+rng.IntN(40)),
			CurrentLocation:         "shelter",
			SafeContactInstructions: text(rng, 120),
		},
		Care: &casebridgev1.CareData{
			HealthNotes:       text(rng, 400),
			PsychosocialNotes: text(rng, 400),
			NeedsAssessment:   text(rng, 250),
		},
		Legal: &casebridgev1.LegalData{
			ExploitationAccount: text(rng, 1500),
			Statements:          text(rng, 600),
			EvidenceReferences:  []string{fmt.Sprintf("EV-%06d", rng.IntN(1_000_000)), "police report"},
		},
	}
}

// newRequestID is a random (version 4) UUID.
func newRequestID() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
