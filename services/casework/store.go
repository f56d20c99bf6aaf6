package casework

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/supportplan"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Every statement of the service. Statuses reach PostgreSQL as the
// numbers of their API enums, always as parameters.

const planColumns = `id::text, case_id::text, status, review_date, texts, created_by, version, create_time, update_time, activate_time`

func scanPlan(row pgx.Row) (*planRow, error) {
	var p planRow
	var status int16
	if err := row.Scan(&p.ID, &p.CaseID, &status, &p.ReviewDate, &p.Texts, &p.CreatedBy, &p.Version, &p.CreateTime, &p.UpdateTime, &p.ActivateTime); err != nil {
		return nil, err
	}
	p.Status = casebridgev1.SupportPlanStatus(status)
	return &p, nil
}

// caseOf finds the case of a row of table by id; "" when there is none.
// table is one of this file's constants, never client input.
func caseOf(ctx context.Context, q db.Querier, table, id string) (string, error) {
	var caseID string
	err := q.QueryRow(ctx, `SELECT case_id::text FROM `+table+` WHERE id = $1`, id).Scan(&caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find case of %s %s: %w", table, id, err)
	}
	return caseID, nil
}

const (
	tablePlans      = "support_plans"
	tableObjectives = "support_plan_objectives"
	tableActions    = "support_plan_actions"
	tableServices   = "case_services"
	tableApprovals  = "approvals"
)

// planByRequest is the plan an earlier create with request id rid made.
func planByRequest(ctx context.Context, q db.Querier, caseID, rid string) (string, string, error) {
	return byRequest(ctx, q, `SELECT id::text, case_id::text FROM support_plans WHERE case_id = $1 AND request_id = $2`, caseID, rid)
}

func objectiveByRequest(ctx context.Context, q db.Querier, planID, rid string) (string, string, error) {
	return byRequest(ctx, q, `SELECT id::text, case_id::text FROM support_plan_objectives WHERE plan_id = $1 AND request_id = $2`, planID, rid)
}

func actionByRequest(ctx context.Context, q db.Querier, objectiveID, rid string) (string, string, error) {
	return byRequest(ctx, q, `SELECT id::text, case_id::text FROM support_plan_actions WHERE objective_id = $1 AND request_id = $2`, objectiveID, rid)
}

func serviceByRequest(ctx context.Context, q db.Querier, caseID, rid string) (string, string, error) {
	return byRequest(ctx, q, `SELECT id::text, case_id::text FROM case_services WHERE case_id = $1 AND request_id = $2`, caseID, rid)
}

func approvalByRequest(ctx context.Context, q db.Querier, caseID, rid string) (string, string, error) {
	return byRequest(ctx, q, `SELECT id::text, case_id::text FROM approvals WHERE case_id = $1 AND request_id = $2`, caseID, rid)
}

func byRequest(ctx context.Context, q db.Querier, sql, scope, rid string) (string, string, error) {
	var id, caseID string
	err := q.QueryRow(ctx, sql, scope, rid).Scan(&id, &caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("look up request %s: %w", rid, err)
	}
	return id, caseID, nil
}

func nullUUID(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// insertPlan inserts p; false when a concurrent attempt with the same
// request id made it first.
func insertPlan(ctx context.Context, tx pgx.Tx, p *planRow, requestID string) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO support_plans (id, case_id, status, review_date, texts, created_by, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (case_id, request_id) DO NOTHING`,
		p.ID, p.CaseID, int16(p.Status), p.ReviewDate, p.Texts, p.CreatedBy, nullUUID(requestID))
	if err != nil {
		return false, fmt.Errorf("insert support plan: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// planInProgress is the case's plan in progress (draft, awaiting
// approval, active), nil when it has none.
func planInProgress(ctx context.Context, q db.Querier, caseID string, lock bool) (*planRow, error) {
	sql := `SELECT ` + planColumns + ` FROM support_plans WHERE case_id = $1 AND status = ANY($2::smallint[])
		ORDER BY create_time DESC LIMIT 1`
	if lock {
		sql += ` FOR UPDATE`
	}
	var inProgress []int16
	for _, s := range []casebridgev1.SupportPlanStatus{supportplan.PlanDraft, supportplan.PlanAwaiting, supportplan.PlanActive} {
		if supportplan.InProgress(s) {
			inProgress = append(inProgress, int16(s))
		}
	}
	p, err := scanPlan(q.QueryRow(ctx, sql, caseID, inProgress))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load plan of case %s: %w", caseID, err)
	}
	return p, nil
}

// getPlan loads plan id of case caseID (id "": the case's latest), nil
// when there is none; with lock it locks the row.
func getPlan(ctx context.Context, q db.Querier, caseID, id string, lock bool) (*planRow, error) {
	sql := `SELECT ` + planColumns + ` FROM support_plans WHERE case_id = $1 AND ($2 = '' OR id::text = $2)
		ORDER BY create_time DESC LIMIT 1`
	if lock {
		sql += ` FOR UPDATE`
	}
	p, err := scanPlan(q.QueryRow(ctx, sql, caseID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load plan of case %s: %w", caseID, err)
	}
	return p, nil
}

// loadItems loads the objectives of p and their actions, in the order
// they were added.
func loadItems(ctx context.Context, q db.Querier, p *planRow) error {
	rows, err := q.Query(ctx, `SELECT `+objectiveColumns+` FROM support_plan_objectives WHERE plan_id = $1 ORDER BY seq LIMIT $2`,
		p.ID, maxObjectives)
	if err != nil {
		return fmt.Errorf("load objectives of plan %s: %w", p.ID, err)
	}
	p.Objectives, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*objectiveRow, error) { return scanObjective(r) })
	if err != nil {
		return fmt.Errorf("load objectives of plan %s: %w", p.ID, err)
	}
	byID := map[string]*objectiveRow{}
	for _, o := range p.Objectives {
		byID[o.ID] = o
	}
	rows, err = q.Query(ctx, `SELECT `+actionColumns+` FROM support_plan_actions WHERE plan_id = $1 ORDER BY seq LIMIT $2`,
		p.ID, maxObjectives*maxActions)
	if err != nil {
		return fmt.Errorf("load actions of plan %s: %w", p.ID, err)
	}
	actions, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*actionRow, error) { return scanAction(r) })
	if err != nil {
		return fmt.Errorf("load actions of plan %s: %w", p.ID, err)
	}
	for _, a := range actions {
		if o := byID[a.ObjectiveID]; o != nil {
			o.Actions = append(o.Actions, a)
		}
	}
	return nil
}

func savePlan(ctx context.Context, tx pgx.Tx, p *planRow) error {
	_, err := tx.Exec(ctx, `UPDATE support_plans SET status = $2, review_date = $3, texts = $4, activate_time = $5,
			version = version + 1, update_time = now()
		WHERE id = $1`, p.ID, int16(p.Status), p.ReviewDate, p.Texts, p.ActivateTime)
	if err != nil {
		return fmt.Errorf("update support plan %s: %w", p.ID, err)
	}
	return nil
}

const objectiveColumns = `id::text, plan_id::text, case_id::text, status, target_date, texts, version, create_time, update_time`

func scanObjective(row pgx.Row) (*objectiveRow, error) {
	var o objectiveRow
	var status int16
	if err := row.Scan(&o.ID, &o.PlanID, &o.CaseID, &status, &o.TargetDate, &o.Texts, &o.Version, &o.CreateTime, &o.UpdateTime); err != nil {
		return nil, err
	}
	o.Status = casebridgev1.ObjectiveStatus(status)
	return &o, nil
}

func getObjective(ctx context.Context, q db.Querier, id string, lock bool) (*objectiveRow, error) {
	sql := `SELECT ` + objectiveColumns + ` FROM support_plan_objectives WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	o, err := scanObjective(q.QueryRow(ctx, sql, id))
	if err != nil {
		return nil, fmt.Errorf("load objective %s: %w", id, err)
	}
	return o, nil
}

func countRows(ctx context.Context, q db.Querier, sql, id string) (int, error) {
	var n int
	if err := q.QueryRow(ctx, sql, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return n, nil
}

func countObjectives(ctx context.Context, q db.Querier, planID string) (int, error) {
	return countRows(ctx, q, `SELECT count(*) FROM support_plan_objectives WHERE plan_id = $1`, planID)
}

func countActions(ctx context.Context, q db.Querier, objectiveID string) (int, error) {
	return countRows(ctx, q, `SELECT count(*) FROM support_plan_actions WHERE objective_id = $1`, objectiveID)
}

func insertObjective(ctx context.Context, tx pgx.Tx, o *objectiveRow, requestID string) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO support_plan_objectives (id, plan_id, case_id, status, target_date, texts, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (plan_id, request_id) DO NOTHING`,
		o.ID, o.PlanID, o.CaseID, int16(o.Status), o.TargetDate, o.Texts, nullUUID(requestID))
	if err != nil {
		return false, fmt.Errorf("insert objective: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

func saveObjective(ctx context.Context, tx pgx.Tx, o *objectiveRow) error {
	_, err := tx.Exec(ctx, `UPDATE support_plan_objectives SET status = $2, target_date = $3, texts = $4,
			version = version + 1, update_time = now() WHERE id = $1`, o.ID, int16(o.Status), o.TargetDate, o.Texts)
	if err != nil {
		return fmt.Errorf("update objective %s: %w", o.ID, err)
	}
	return nil
}

const actionColumns = `id::text, objective_id::text, plan_id::text, case_id::text, status, planned_date, actual_date, texts, version, create_time, update_time`

func scanAction(row pgx.Row) (*actionRow, error) {
	var a actionRow
	var status int16
	if err := row.Scan(&a.ID, &a.ObjectiveID, &a.PlanID, &a.CaseID, &status, &a.PlannedDate, &a.ActualDate, &a.Texts, &a.Version, &a.CreateTime, &a.UpdateTime); err != nil {
		return nil, err
	}
	a.Status = casebridgev1.ActionStatus(status)
	return &a, nil
}

func getAction(ctx context.Context, q db.Querier, id string, lock bool) (*actionRow, error) {
	sql := `SELECT ` + actionColumns + ` FROM support_plan_actions WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	a, err := scanAction(q.QueryRow(ctx, sql, id))
	if err != nil {
		return nil, fmt.Errorf("load action %s: %w", id, err)
	}
	return a, nil
}

func insertAction(ctx context.Context, tx pgx.Tx, a *actionRow, requestID string) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO support_plan_actions (id, objective_id, plan_id, case_id, status, planned_date, actual_date, texts, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (objective_id, request_id) DO NOTHING`,
		a.ID, a.ObjectiveID, a.PlanID, a.CaseID, int16(a.Status), a.PlannedDate, a.ActualDate, a.Texts, nullUUID(requestID))
	if err != nil {
		return false, fmt.Errorf("insert action: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

func saveAction(ctx context.Context, tx pgx.Tx, a *actionRow) error {
	_, err := tx.Exec(ctx, `UPDATE support_plan_actions SET status = $2, planned_date = $3, actual_date = $4, texts = $5,
			version = version + 1, update_time = now() WHERE id = $1`, a.ID, int16(a.Status), a.PlannedDate, a.ActualDate, a.Texts)
	if err != nil {
		return fmt.Errorf("update action %s: %w", a.ID, err)
	}
	return nil
}

const serviceColumns = `id::text, case_id::text, kind, status, provider, referral_id::text, planned_date, delivered_date, texts,
	created_by, seq, version, create_time, update_time`

func scanService(row pgx.Row) (*serviceRow, error) {
	var v serviceRow
	var kind, status, provider int16
	if err := row.Scan(&v.ID, &v.CaseID, &kind, &status, &provider, &v.ReferralID, &v.PlannedDate, &v.DeliveredDate, &v.Texts,
		&v.CreatedBy, &v.Seq, &v.Version, &v.CreateTime, &v.UpdateTime); err != nil {
		return nil, err
	}
	v.Kind, v.Status, v.Provider = casebridgev1.ServiceKind(kind), casebridgev1.ServiceStatus(status), casebridgev1.ServiceProvider(provider)
	return &v, nil
}

func getService(ctx context.Context, q db.Querier, id string, lock bool) (*serviceRow, error) {
	sql := `SELECT ` + serviceColumns + ` FROM case_services WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	v, err := scanService(q.QueryRow(ctx, sql, id))
	if err != nil {
		return nil, fmt.Errorf("load service %s: %w", id, err)
	}
	return v, nil
}

// listServices is a page of the case's services after seq, oldest first.
func listServices(ctx context.Context, q db.Querier, caseID string, after int64, limit int) ([]*serviceRow, error) {
	rows, err := q.Query(ctx, `SELECT `+serviceColumns+` FROM case_services WHERE case_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		caseID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list services of case %s: %w", caseID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*serviceRow, error) { return scanService(r) })
	if err != nil {
		return nil, fmt.Errorf("list services of case %s: %w", caseID, err)
	}
	return out, nil
}

func insertService(ctx context.Context, tx pgx.Tx, v *serviceRow, requestID string) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO case_services (id, case_id, kind, status, provider, referral_id, planned_date, delivered_date, texts, created_by, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (case_id, request_id) DO NOTHING`,
		v.ID, v.CaseID, int16(v.Kind), int16(v.Status), int16(v.Provider), v.ReferralID, v.PlannedDate, v.DeliveredDate, v.Texts,
		v.CreatedBy, nullUUID(requestID))
	if err != nil {
		return false, fmt.Errorf("insert service: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

func saveService(ctx context.Context, tx pgx.Tx, v *serviceRow) error {
	_, err := tx.Exec(ctx, `UPDATE case_services SET status = $2, provider = $3, referral_id = $4, planned_date = $5,
			delivered_date = $6, texts = $7, version = version + 1, update_time = now() WHERE id = $1`,
		v.ID, int16(v.Status), int16(v.Provider), v.ReferralID, v.PlannedDate, v.DeliveredDate, v.Texts)
	if err != nil {
		return fmt.Errorf("update service %s: %w", v.ID, err)
	}
	return nil
}

// referralOf is the service kind and status of referral id when it is a
// referral of case caseID; found is false otherwise.
func referralOf(ctx context.Context, q db.Querier, caseID, id string) (kind casebridgev1.ServiceKind, status casebridgev1.ReferralStatus, found bool, err error) {
	var k, st int16
	err = q.QueryRow(ctx, `SELECT service, status FROM referrals WHERE id = $1 AND case_id = $2`, id, caseID).Scan(&k, &st)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("look up referral %s: %w", id, err)
	}
	return casebridgev1.ServiceKind(k), casebridgev1.ReferralStatus(st), true, nil
}

const approvalColumns = `id::text, case_id::text, organization_id, subject, plan_id::text, status, requested_by, decided_by, texts,
	seq, version, request_time, decide_time, use_time`

func scanApproval(row pgx.Row) (*approvalRow, error) {
	var a approvalRow
	var subject, status int16
	if err := row.Scan(&a.ID, &a.CaseID, &a.OrgID, &subject, &a.PlanID, &status, &a.RequestedBy, &a.DecidedBy, &a.Texts,
		&a.Seq, &a.Version, &a.RequestTime, &a.DecideTime, &a.UseTime); err != nil {
		return nil, err
	}
	a.Subject, a.Status = casebridgev1.ApprovalSubject(subject), casebridgev1.ApprovalStatus(status)
	return &a, nil
}

func getApproval(ctx context.Context, q db.Querier, id string, lock bool) (*approvalRow, error) {
	sql := `SELECT ` + approvalColumns + ` FROM approvals WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	a, err := scanApproval(q.QueryRow(ctx, sql, id))
	if err != nil {
		return nil, fmt.Errorf("load approval %s: %w", id, err)
	}
	return a, nil
}

// pendingApproval reports whether case caseID has a pending request about subject.
func pendingApproval(ctx context.Context, q db.Querier, caseID string, subject, pending int16) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM approvals WHERE case_id = $1 AND subject = $2 AND status = $3)`,
		caseID, subject, pending).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up pending approvals of case %s: %w", caseID, err)
	}
	return ok, nil
}

func insertApproval(ctx context.Context, tx pgx.Tx, a *approvalRow, requestID string) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO approvals (id, case_id, organization_id, subject, plan_id, status, requested_by, texts, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (case_id, request_id) DO NOTHING`,
		a.ID, a.CaseID, a.OrgID, int16(a.Subject), a.PlanID, int16(a.Status), a.RequestedBy, a.Texts, nullUUID(requestID))
	if err != nil {
		return false, fmt.Errorf("insert approval: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

func saveDecision(ctx context.Context, tx pgx.Tx, a *approvalRow) error {
	_, err := tx.Exec(ctx, `UPDATE approvals SET status = $2, decided_by = $3, texts = $4, decide_time = now(),
			version = version + 1 WHERE id = $1`, a.ID, int16(a.Status), a.DecidedBy, a.Texts)
	if err != nil {
		return fmt.Errorf("update approval %s: %w", a.ID, err)
	}
	return nil
}

// listApprovals is a page of approvals, newest request first, before seq
// (0: from the newest): of case caseID, or, with caseID "", those of the
// organisations orgs in status.
func listApprovals(ctx context.Context, q db.Querier, caseID string, orgs []string, status int16, before int64, limit int) ([]*approvalRow, error) {
	rows, err := q.Query(ctx, `SELECT `+approvalColumns+` FROM approvals
		WHERE ($1 = '' OR case_id = nullif($1, '')::uuid) AND ($1 <> '' OR (organization_id = ANY($2) AND status = $3))
			AND ($4 = 0 OR seq < $4)
			AND ($1 <> '' OR NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = approvals.case_id AND `+caseaccess.ErasedSQL("c")+`))
		ORDER BY seq DESC LIMIT $5`, caseID, orgs, status, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list approvals: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*approvalRow, error) { return scanApproval(r) })
	if err != nil {
		return nil, fmt.Errorf("list approvals: %w", err)
	}
	return out, nil
}
