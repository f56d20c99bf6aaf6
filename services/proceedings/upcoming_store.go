package proceedings

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/db"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// upcomingFilter is a page of the calendar: the court data of cases the
// organisations orgs reach by legal work, from from until until, of one
// responsible lawyer (or any), after position after.
type upcomingFilter struct {
	orgs        []string
	from, until time.Time
	lawyer      string
	after       *position
	limit       int
}

// afterArgs are the page's position as query parameters, all nil on the
// first page.
func (f upcomingFilter) afterArgs() (*time.Time, *int, *string) {
	if f.after == nil {
		return nil, nil, nil
	}
	return &f.after.at, &f.after.rank, &f.after.id
}

// dueHearing is a hearing of the calendar as loaded, its texts still
// sealed, with its case's reference and its proceeding's sealed texts.
type dueHearing struct {
	h         hearingRow
	reference string
	procTexts []byte
}

// hearingsDue returns up to f.limit+1 scheduled hearings starting in
// [f.from, f.until), earliest first.
func hearingsDue(ctx context.Context, q db.Querier, f upcomingFilter) ([]dueHearing, error) {
	at, rank, id := f.afterArgs()
	rows, err := q.Query(ctx, "SELECT "+hearingColumns+`, c.reference, p.texts`+hearingFrom+`
		JOIN cases c ON c.id = h.case_id
		WHERE h.status = `+stored(hearingScheduled)+` AND h.start_time >= $1 AND h.start_time < $2 AND `+caseaccess.LegalSQL("c", "$3")+`
		  AND ($4 = '' OR p.responsible_lawyer = $4)
		  AND ($5::timestamptz IS NULL OR (h.start_time, 1, h.id) > ($5, $6::int, $7::uuid))
		ORDER BY h.start_time, h.id
		LIMIT $8`,
		f.from, f.until, f.orgs, f.lawyer, at, rank, id, f.limit+1)
	if err != nil {
		return nil, fmt.Errorf("list upcoming hearings: %w", err)
	}
	all, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (dueHearing, error) {
		var x dueHearing
		h := &x.h
		var typ, status int16
		err := row.Scan(&h.ID, &h.ProceedingID, &h.CaseID, &h.Start, &h.Zone, &h.ProcZone,
			&typ, &status, &h.Texts, &h.Notes, &h.Version, &h.CreateTime, &h.UpdateTime, &h.Expected,
			&x.reference, &x.procTexts)
		h.Type, h.Status, h.Start = casebridgev1.HearingType(typ), casebridgev1.HearingStatus(status), h.Start.UTC()
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("scan upcoming hearing: %w", err)
	}
	return all, nil
}

// dueDeadline is a deadline of the calendar as loaded, its texts still
// sealed, with its case's reference and its proceeding's sealed texts.
type dueDeadline struct {
	d         deadlineRow
	reference string
	procTexts []byte
}

// deadlinesDue returns up to f.limit+1 open deadlines due before f.until,
// past due ones included, earliest first.
func deadlinesDue(ctx context.Context, q db.Querier, f upcomingFilter) ([]dueDeadline, error) {
	at, rank, id := f.afterArgs()
	rows, err := q.Query(ctx, "SELECT "+deadlineColumns+`, c.reference, p.texts`+deadlineFrom+`
		JOIN cases c ON c.id = d.case_id
		WHERE d.status = `+stored(deadlineOpen)+` AND d.due_time < $1 AND `+caseaccess.LegalSQL("c", "$2")+`
		  AND ($3 = '' OR p.responsible_lawyer = $3)
		  AND ($4::timestamptz IS NULL OR (d.due_time, 0, d.id) > ($4, $5::int, $6::uuid))
		ORDER BY d.due_time, d.id
		LIMIT $7`,
		f.until, f.orgs, f.lawyer, at, rank, id, f.limit+1)
	if err != nil {
		return nil, fmt.Errorf("list upcoming deadlines: %w", err)
	}
	all, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (dueDeadline, error) {
		var x dueDeadline
		d := &x.d
		var kind, status int16
		err := row.Scan(&d.ID, &d.ProceedingID, &d.CaseID, &d.Due, &d.Zone,
			&kind, &d.Texts, &status, &d.Version, &d.CreateTime, &d.UpdateTime,
			&x.reference, &x.procTexts)
		d.Kind, d.Status, d.Due = casebridgev1.DeadlineKind(kind), casebridgev1.DeadlineStatus(status), d.Due.UTC()
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("scan upcoming deadline: %w", err)
	}
	return all, nil
}
