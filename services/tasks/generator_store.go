package tasks

import (
	"context"
	"fmt"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/referral"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// builtinGenerators are the system tasks every installation raises: a
// consent about to expire, a referral long pending, a hearing tomorrow, a
// deadline near, a support plan due for review.
func builtinGenerators() []Generator {
	return []Generator{
		{Kind: casebridgev1.TaskKind_TASK_KIND_CONSENT_EXPIRING, Select: `
			SELECT k.case_id, c.organization_id, k.id AS source_id, k.expire_time AS due_time
			FROM consents k JOIN cases c ON c.id = k.case_id JOIN s ON s.organization_id = c.organization_id
			WHERE ` + referral.InForceSQL("k") + `
			  AND k.expire_time <= now() + make_interval(days => s.consent_notice_days)`},
		{Kind: casebridgev1.TaskKind_TASK_KIND_REFERRAL_PENDING, Select: fmt.Sprintf(`
			SELECT r.case_id, r.from_organization AS organization_id, r.id AS source_id,
				r.create_time + make_interval(days => s.referral_pending_days) AS due_time
			FROM referrals r JOIN s ON s.organization_id = r.from_organization
			WHERE r.status = %d AND r.create_time <= now() - make_interval(days => s.referral_pending_days)`,
			referral.Stored(referral.Pending))},
		// Court tasks are raised by the day (UTC) of the hearing or
		// deadline, never by its hour: members who may not read the court
		// data see when the task appeared (its create time, the moment a
		// watch tells of it), and a task raised exactly a day before the
		// hearing would tell them its hour (see shownDue).
		{Kind: casebridgev1.TaskKind_TASK_KIND_HEARING_TOMORROW, Select: fmt.Sprintf(`
			SELECT h.case_id, c.organization_id, h.id AS source_id, h.start_time AS due_time
			FROM hearings h JOIN cases c ON c.id = h.case_id JOIN s ON s.organization_id = c.organization_id
			WHERE h.status = %d AND h.start_time > now()
			  AND date_trunc('day', h.start_time, 'UTC') <= date_trunc('day', now(), 'UTC') + interval '1 day'`,
			int16(casebridgev1.HearingStatus_HEARING_STATUS_SCHEDULED))},
		{Kind: casebridgev1.TaskKind_TASK_KIND_DEADLINE_DUE, Select: fmt.Sprintf(`
			SELECT d.case_id, c.organization_id, d.id AS source_id, d.due_time
			FROM deadlines d JOIN cases c ON c.id = d.case_id JOIN s ON s.organization_id = c.organization_id
			WHERE d.status = %d AND d.due_time > now()
			  AND date_trunc('day', d.due_time, 'UTC') <= date_trunc('day', now(), 'UTC') + make_interval(days => s.deadline_notice_days)`,
			int16(casebridgev1.DeadlineStatus_DEADLINE_STATUS_OPEN))},
		{Kind: casebridgev1.TaskKind_TASK_KIND_PLAN_REVIEW_DUE, Select: fmt.Sprintf(`
			SELECT p.case_id, c.organization_id, p.id AS source_id, p.review_date::timestamp AT TIME ZONE 'UTC' AS due_time
			FROM support_plans p JOIN cases c ON c.id = p.case_id JOIN s ON s.organization_id = c.organization_id
			WHERE p.status = %d AND p.review_date IS NOT NULL
			  AND p.review_date <= (now() AT TIME ZONE 'UTC')::date + s.review_notice_days`,
			int16(casebridgev1.SupportPlanStatus_SUPPORT_PLAN_STATUS_ACTIVE))},
	}
}

// settingsSQL is every organisation's notice periods, defaults filled in.
const settingsSQL = `SELECT o.id AS organization_id,
		coalesce(ts.consent_notice_days, 14) AS consent_notice_days,
		coalesce(ts.referral_pending_days, 7) AS referral_pending_days,
		coalesce(ts.deadline_notice_days, 3) AS deadline_notice_days,
		coalesce(ts.review_notice_days, 7) AS review_notice_days
	FROM organizations o LEFT JOIN task_settings ts ON ts.organization_id = o.id`

// raise runs generator g once over every organisation's settings and
// reports how many tasks it raised (those already raised are not again).
func raise(ctx context.Context, q db.Querier, g Generator) (int, error) {
	tag, err := q.Exec(ctx, `WITH s AS (`+settingsSQL+`)
		INSERT INTO tasks (id, case_id, organization_id, kind, due_time, source_id, created_by)
		SELECT gen_random_uuid(), g.case_id, g.organization_id, $1, g.due_time, g.source_id, $2
		FROM (`+g.Select+`) g JOIN cases c ON c.id = g.case_id
		WHERE c.erase_time IS NULL
		ON CONFLICT (kind, source_id, due_time) DO NOTHING`, int16(g.Kind), audit.SystemSubject)
	if err != nil {
		return 0, fmt.Errorf("raise %s tasks: %w", g.Kind, err)
	}
	return int(tag.RowsAffected()), nil
}
