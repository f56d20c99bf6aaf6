package cases

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/casebridge/casebridge/internal/testdb"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestScanCaseMatchesColumns: the rows a list, a sealed read and a plain
// read scan (text columns gathered into one string, the id formatted by
// hand) hold exactly what PostgreSQL stored — the id as PostgreSQL prints
// it, every text column whole and in its own field, whether short, empty,
// non-ASCII or longer than the row's inline buffer — and each row's fields
// are its own, not a neighbour's.
func TestScanCaseMatchesColumns(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO organizations (id, display_name, kind) VALUES ('org-u', 'x', 1)`); err != nil {
		t.Fatal(err)
	}
	type want struct {
		id, ref, assigned, nat, ctry string
		forms                        []int16
		closed                       bool
	}
	cases := []want{
		{id: uuid.NewString(), ref: "R-1", assigned: "", nat: "", ctry: ""},
		{id: uuid.NewString(), ref: strings.Repeat("Ž€x", 90), assigned: strings.Repeat("c", 200), nat: "RS", ctry: "DE", forms: []int16{2, 5}, closed: true},
		{id: "ffffffff-0000-4abc-8def-0123456789ab", ref: "🙂 r", assigned: "caseworker-7", nat: "AL", ctry: "", forms: []int16{1}},
	}
	for _, c := range cases {
		var closeTime *time.Time
		if c.closed {
			now := time.Now()
			closeTime = &now
		}
		if c.forms == nil {
			c.forms = []int16{}
		}
		if _, err := pool.Exec(ctx, `INSERT INTO cases (id, organization_id, reference, status, assigned_caseworker, nationality, country, exploitation_forms, close_time)
			VALUES ($1, 'org-u', $2, 1, $3, $4, $5, $6, $7)`, c.id, c.ref, c.assigned, c.nat, c.ctry, c.forms, closeTime); err != nil {
			t.Fatal(err)
		}
	}
	check := func(how string, r *caseRow, c want) {
		t.Helper()
		if r.ID != c.id || r.OrgID != "org-u" || r.Reference != c.ref || r.Assigned != c.assigned ||
			r.Coded.GetNationality() != c.nat || r.Coded.GetCountry() != c.ctry || (r.CloseTime != nil) != c.closed ||
			r.Status != casebridgev1.CaseStatus(1) || len(r.Coded.GetExploitationForms()) != len(c.forms) || r.shares != nil {
			t.Errorf("%s: scanned %+v (coded %v), want %+v", how, r, r.Coded, c)
		}
		for i, f := range c.forms {
			if int16(r.Coded.GetExploitationForms()[i]) != f {
				t.Errorf("%s: forms %v, want %v", how, r.Coded.GetExploitationForms(), c.forms)
			}
		}
	}
	rows, more, err := listCases(ctx, pool, listFilter{orgs: []string{"org-u"}, limit: 10})
	if err != nil || more || len(rows) != len(cases) {
		t.Fatalf("list: %d rows, more %v, %v", len(rows), more, err)
	}
	for i, r := range rows {
		check("list", r, cases[len(cases)-1-i]) // newest first
	}
	for _, c := range cases {
		r, err := getCaseSealed(ctx, pool, c.id)
		if err != nil {
			t.Fatal(err)
		}
		check("sealed read", r, c)
		if r, err = getCase(ctx, pool, c.id, false); err != nil {
			t.Fatal(err)
		}
		check("read", r, c)
	}
}
