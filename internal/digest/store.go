package digest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/db"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/casebridge/casebridge/services/tasks"
)

// recordDue records the digests of day for every member with a contact
// address who has none recorded yet, and returns the new rows' ids.
func recordDue(ctx context.Context, tx pgx.Tx, day time.Time) ([]string, error) {
	members, err := tx.Query(ctx, `
		SELECT m.organization_id, m.subject FROM memberships m
		WHERE m.contact_email <> ''
		  AND NOT EXISTS (SELECT 1 FROM digests d WHERE d.organization_id = m.organization_id AND d.subject = m.subject AND d.day = $1)
		ORDER BY 1, 2`, day)
	if err != nil {
		return nil, fmt.Errorf("members due a digest: %w", err)
	}
	type member struct{ org, subject string }
	due, err := pgx.CollectRows(members, func(r pgx.CollectableRow) (member, error) {
		var m member
		return m, r.Scan(&m.org, &m.subject)
	})
	if err != nil {
		return nil, fmt.Errorf("members due a digest: %w", err)
	}
	var ids []string
	for _, m := range due {
		id := uuid.NewString()
		tag, err := tx.Exec(ctx, `INSERT INTO digests (id, organization_id, subject, day) VALUES ($1, $2, $3, $4)
			ON CONFLICT (organization_id, subject, day) DO NOTHING`, id, m.org, m.subject, day)
		if err != nil {
			return nil, fmt.Errorf("record digest: %w", err)
		}
		if tag.RowsAffected() == 1 {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// recipient is whom a digest goes to, as the memberships table says now.
type recipient struct {
	Org, Subject, Email string
	Roles               []string
	Language            casebridgev1.Language
	OrgName             string
	Day                 time.Time
}

// errTaken: the digest was marked by an earlier attempt (sent, being sent,
// or lost in a crash); it is never sent again.
var errTaken = errors.New("digest already taken")

// mark claims digest id for sending, in its own committed statement, and
// returns whom it goes to.
func mark(ctx context.Context, q db.Querier, id string) (recipient, error) {
	var r recipient
	var lang int16
	err := q.QueryRow(ctx, `
		WITH claimed AS (
			UPDATE digests SET send_start_time = now()
			WHERE id = $1 AND send_start_time IS NULL
			RETURNING organization_id, subject, day)
		SELECT c.organization_id, c.subject, c.day, coalesce(m.contact_email, ''), coalesce(m.roles, '{}'),
			coalesce(m.preferred_language, 0), o.display_name
		FROM claimed c JOIN organizations o ON o.id = c.organization_id
		LEFT JOIN memberships m ON m.organization_id = c.organization_id AND m.subject = c.subject`, id).
		Scan(&r.Org, &r.Subject, &r.Day, &r.Email, &r.Roles, &lang, &r.OrgName)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, errTaken
	}
	if err != nil {
		return r, fmt.Errorf("claim digest %s: %w", id, err)
	}
	r.Language = casebridgev1.Language(lang)
	return r, nil
}

// release un-claims a digest whose message never started (the SMTP server
// could not be reached or refused the sender or recipient), so that a retry
// may send it.
func release(ctx context.Context, q db.Querier, id string) error {
	_, err := q.Exec(ctx, `UPDATE digests SET send_start_time = NULL WHERE id = $1 AND sent_time IS NULL`, id)
	return err
}

func finish(ctx context.Context, q db.Querier, id string, skipped bool) error {
	_, err := q.Exec(ctx, `UPDATE digests SET sent_time = CASE WHEN $2 THEN NULL ELSE now() END, skipped = $2 WHERE id = $1`, id, skipped)
	return err
}

// summarise counts the open tasks of org at now: overdue, due within days,
// those of them assigned to subject, and the cases with the most overdue.
func summarise(ctx context.Context, q db.Querier, org, subject string, now time.Time, days int) (summary, error) {
	s := summary{SoonDays: days}
	soon := now.AddDate(0, 0, days)
	// By the due time the lists go by (tasks.ListDueSQL), so that the
	// digest counts what the lists show.
	due := tasks.ListDueSQL("t")
	err := q.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE `+due+` < $2),
			count(*) FILTER (WHERE `+due+` >= $2 AND `+due+` < $3),
			count(*) FILTER (WHERE `+due+` < $3 AND t.assignee = $4)
		FROM tasks t JOIN cases c ON c.id = t.case_id AND c.organization_id = t.organization_id
		WHERE t.organization_id = $1 AND NOT `+caseaccess.ErasedSQL("c")+` AND `+tasks.OpenSQL("t")+` AND `+tasks.AwakeSQL("t", "$2"),
		org, now, soon, subject).Scan(&s.Overdue, &s.Soon, &s.Yours)
	if err != nil {
		return s, fmt.Errorf("count tasks: %w", err)
	}
	rows, err := q.Query(ctx, `
		SELECT c.reference, count(*) FROM tasks t JOIN cases c ON c.id = t.case_id AND c.organization_id = t.organization_id
		WHERE t.organization_id = $1 AND `+due+` < $2 AND `+tasks.OpenSQL("t")+` AND `+tasks.AwakeSQL("t", "$2")+`
		  AND NOT `+caseaccess.ErasedSQL("c")+`
		GROUP BY c.reference ORDER BY count(*) DESC, c.reference LIMIT 5`, org, now)
	if err != nil {
		return s, fmt.Errorf("count overdue tasks by case: %w", err)
	}
	s.Cases, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (caseCount, error) {
		var c caseCount
		return c, r.Scan(&c.Reference, &c.Overdue)
	})
	return s, err
}
