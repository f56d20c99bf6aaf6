package stats

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/referral"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// usable keeps the cases that may be used for statistics: every case but
// those with a statistics consent that records a refusal in force
// (referral.RefusalInForceSQL). Without a recorded decision a case counts — its
// coded attributes say nothing about the person on their own, and the
// counts are protected below k — but a refusal is honoured in every figure,
// even while another, granting consent is also on file. Erased cases keep
// their coded attributes for statistics, so they count too.
var usable = `NOT EXISTS (SELECT 1 FROM consents s
	WHERE s.case_id = c.id AND ` + referral.PurposeSQL("s", casebridgev1.ConsentPurpose_CONSENT_PURPOSE_STATISTICS) +
	` AND ` + referral.RefusalInForceSQL("s") + `)`

// row is one group of cases that agree on the fields asked for, with how
// many they are.
type row struct {
	values []raw // per field, in the order asked for
	org    string
	count  int64
}

// loadRows counts the usable cases of every organisation by the given
// fields, with no filter: the rows outside a filter are what the
// differencing rules compare the filtered answer with. Rows are split by
// the organisation that owns the cases, for the contributor rule. The
// query is one
// aggregate over the cases table; its text comes only from the fixed
// field expressions.
func loadRows(ctx context.Context, q db.Querier, fs []*field) ([]row, error) {
	var sel, group []string
	org := false
	for i, f := range fs {
		sel = append(sel, f.expr)
		group = append(group, strconv.Itoa(i+1))
		org = org || f.org
	}
	sel = append(sel, "c.organization_id")
	group = append(group, strconv.Itoa(len(fs)+1))
	sql := "SELECT " + strings.Join(append(sel, "count(*)"), ", ") + " FROM cases c"
	if org {
		sql += " JOIN organizations o ON o.id = c.organization_id"
	}
	sql += " WHERE " + usable + " GROUP BY " + strings.Join(group, ", ")
	rows, err := q.Query(ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("count cases: %w", err)
	}
	defer rows.Close()
	var out []row
	dest := make([]any, len(fs)+2)
	years := make([]int32, len(fs))
	codes := make([]string, len(fs))
	enums := make([]int16, len(fs))
	forms := make([][]int16, len(fs))
	for i, f := range fs {
		switch f.kind {
		case kindYear:
			dest[i] = &years[i]
		case kindCode:
			dest[i] = &codes[i]
		case kindEnum:
			dest[i] = &enums[i]
		case kindForms:
			dest[i] = &forms[i]
		}
	}
	var n int64
	var owner string
	dest[len(fs)], dest[len(fs)+1] = &owner, &n
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("count cases: %w", err)
		}
		r := row{values: make([]raw, len(fs)), org: owner, count: n}
		for i, f := range fs {
			switch f.kind {
			case kindYear:
				r.values[i] = strconv.Itoa(int(years[i]))
			case kindCode:
				r.values[i] = codes[i]
			case kindEnum:
				r.values[i] = strconv.Itoa(int(enums[i]))
			case kindForms:
				r.values[i] = formsKey(forms[i])
			}
		}
		if r.count > 0 {
			out = append(out, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count cases: %w", err)
	}
	return out, nil
}
