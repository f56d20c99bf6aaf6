package proceedings

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Dates are read as YYYY-MM-DD whatever the session's DateStyle. The case's
// reference comes last: in its subquery case_id is the proceeding's (cases
// has no such column).
const proceedingColumns = `id, case_id, kind, texts, jurisdiction_country, court_time_zone,
	stage, victim_role, defendant_count, protective_measures, responsible_lawyer,
	strategic, COALESCE(to_char(start_date, 'YYYY-MM-DD'), ''),
	outcome_kind, outcome_decided_at,
	COALESCE(to_char(outcome_decision_date, 'YYYY-MM-DD'), ''), COALESCE(to_char(outcome_final_date, 'YYYY-MM-DD'), ''),
	created_by, version, create_time, update_time, stage_time, coalesce(trial_id::text, ''),
	(SELECT k.reference FROM cases k WHERE k.id = case_id)`

func scanProceeding(row pgx.Row) (*proceedingRow, error) {
	var r proceedingRow
	var kind, stage, role, oKind, oAt int16
	var measures []int16
	err := row.Scan(&r.ID, &r.CaseID, &kind, &r.Texts, &r.Country, &r.Zone,
		&stage, &role, &r.Defendants, &measures, &r.Lawyer,
		&r.Strategic, &r.StartDate,
		&oKind, &oAt, &r.Outcome.DecisionDate, &r.Outcome.FinalDate,
		&r.CreatedBy, &r.Version, &r.CreateTime, &r.UpdateTime, &r.StageTime, &r.TrialID, &r.CaseReference)
	if err != nil {
		return nil, err
	}
	r.Kind = casebridgev1.ProceedingKind(kind)
	r.Stage = casebridgev1.ProceedingStage(stage)
	r.VictimRole = casebridgev1.VictimRole(role)
	r.Outcome.Kind = casebridgev1.OutcomeKind(oKind)
	r.Outcome.DecidedAt = casebridgev1.ProceedingStage(oAt)
	for _, m := range measures {
		r.Measures = append(r.Measures, casebridgev1.ProtectiveMeasure(m))
	}
	return &r, nil
}

// getProceeding loads a proceeding; lock takes a row lock for the transaction.
func (s *Service) getProceeding(ctx context.Context, q db.Querier, id string, lock bool) (*proceedingRow, error) {
	sql := "SELECT " + proceedingColumns + " FROM proceedings WHERE id = $1"
	if lock {
		sql += " FOR UPDATE"
	}
	r, err := scanProceeding(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, proceedingNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("load proceeding %s: %w", id, err)
	}
	return r, s.openProceeding(ctx, q, r)
}

// caseOf finds the case of record id in table — proceedings, hearings or
// deadlines: a constant of the caller's, never client input; a record
// that does not exist is notFound.
func caseOf(ctx context.Context, q db.Querier, table, id string, notFound error) (string, error) {
	var caseID string
	err := q.QueryRow(ctx, `SELECT case_id FROM `+table+` WHERE id = $1`, id).Scan(&caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", notFound
	}
	if err != nil {
		return "", fmt.Errorf("find case of %s row %s: %w", table, id, err)
	}
	return caseID, nil
}

// proceedingByRequest finds the proceeding created earlier on the case with
// the same request id: its id and case, "" when there is none.
func proceedingByRequest(ctx context.Context, q db.Querier, caseID, requestID string) (id, ofCase string, err error) {
	return byRequest(ctx, q, `SELECT id, case_id FROM proceedings WHERE case_id = $1 AND request_id = $2`, caseID, requestID)
}

// byRequest runs a request id look-up that answers one row's id and case.
func byRequest(ctx context.Context, q db.Querier, sql, scope, requestID string) (id, caseID string, err error) {
	err = q.QueryRow(ctx, sql, scope, requestID).Scan(&id, &caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("look up request %s: %w", requestID, err)
	}
	return id, caseID, nil
}

func measureArg(ms []casebridgev1.ProtectiveMeasure) []int16 {
	out := make([]int16, 0, len(ms))
	for _, m := range ms {
		out = append(out, int16(m))
	}
	return out
}

// insertProceeding writes a new proceeding; ok is false when one with the
// same request id exists already (a concurrent retry won).
func (s *Service) insertProceeding(ctx context.Context, tx pgx.Tx, r *proceedingRow, requestID *string) (bool, error) {
	t := r.texts()
	texts, err := s.sealTexts(ctx, tx, vault.ProceedingTexts, r.CaseID, r.ID, t, t.empty())
	if err != nil {
		return false, err
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO proceedings (id, case_id, kind, texts, jurisdiction_country, court_time_zone,
			stage, victim_role, defendant_count, protective_measures, responsible_lawyer,
			strategic, start_date, created_by, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULLIF($13, '')::date, $14, $15)
		ON CONFLICT (case_id, request_id) DO NOTHING`,
		r.ID, r.CaseID, int16(r.Kind), texts, r.Country, r.Zone,
		int16(r.Stage), int16(r.VictimRole), r.Defendants, measureArg(r.Measures), r.Lawyer,
		r.Strategic, r.StartDate, r.CreatedBy, requestID)
	if err != nil {
		return false, fmt.Errorf("insert proceeding %s: %w", r.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// saveProceeding writes every mutable column of r and bumps its version;
// the row must be locked by the caller's transaction. stageChanged sets the
// stage time.
func (s *Service) saveProceeding(ctx context.Context, tx pgx.Tx, r *proceedingRow, now time.Time, stageChanged bool) error {
	o := r.Outcome
	t := r.texts()
	texts, err := s.sealTexts(ctx, tx, vault.ProceedingTexts, r.CaseID, r.ID, t, t.empty())
	if err != nil {
		return err
	}
	// The plain text columns of older versions are cleared on every write.
	err = tx.QueryRow(ctx, `
		UPDATE proceedings SET kind = $2, texts = $3, court = '', docket_number = '', jurisdiction_country = $4,
			court_time_zone = $5, stage = $6, victim_role = $7, charges = '{}', defendant_count = $8,
			protective_measures = $9, responsible_lawyer = $10, strategic = $11, strategic_goal = '',
			start_date = NULLIF($12, '')::date, outcome_kind = $13, outcome_decided_at = $14,
			outcome_sentence = '', outcome_decision_date = NULLIF($15, '')::date,
			outcome_final_date = NULLIF($16, '')::date, update_time = $17,
			stage_time = CASE WHEN $18 THEN $17 ELSE stage_time END,
			version = version + 1
		WHERE id = $1
		RETURNING version, update_time, stage_time`,
		r.ID, int16(r.Kind), texts, r.Country, r.Zone, int16(r.Stage), int16(r.VictimRole),
		r.Defendants, measureArg(r.Measures), r.Lawyer, r.Strategic,
		r.StartDate, int16(o.Kind), int16(o.DecidedAt), o.DecisionDate, o.FinalDate,
		now, stageChanged).Scan(&r.Version, &r.UpdateTime, &r.StageTime)
	if err != nil {
		return fmt.Errorf("save proceeding %s: %w", r.ID, err)
	}
	return nil
}

// joinTrial puts proceedings a and b into trial (both rows locked by tx)
func joinTrial(ctx context.Context, tx pgx.Tx, trial, a, b string) error {
	tag, err := tx.Exec(ctx, `UPDATE proceedings SET trial_id = $1, version = version + 1, update_time = now()
		WHERE id IN ($2, $3)`, trial, a, b)
	if err != nil {
		return fmt.Errorf("link proceedings %s and %s: %w", a, b, err)
	}
	if tag.RowsAffected() != 2 {
		return fmt.Errorf("link proceedings %s and %s: %d rows", a, b, tag.RowsAffected())
	}
	return nil
}

// listFilter is a ListProceedings query after validation.
type listFilter struct {
	orgs      []string // organisations whose owned or received cases to look in
	caseID    string
	lawyer    string
	strategic bool
	afterTime *time.Time
	afterID   string
	limit     int
}

// listProceedings returns up to f.limit proceedings of cases visible to
// f.orgs (through legal work), most recently changed first, and whether
// more follow. The caller still checks each case with the policy (the
// referral ceiling).
func (s *Service) listProceedings(ctx context.Context, q db.Querier, f listFilter) ([]*proceedingRow, bool, error) {
	rows, err := q.Query(ctx, `
		SELECT `+proceedingColumns+` FROM proceedings p
		WHERE EXISTS (SELECT 1 FROM cases c WHERE c.id = p.case_id AND `+caseaccess.LegalSQL("c", "$1")+`)
		  AND ($2::uuid IS NULL OR p.case_id = $2)
		  AND ($3 = '' OR p.responsible_lawyer = $3)
		  AND (NOT $4 OR p.strategic)
		  AND ($5::timestamptz IS NULL OR (p.update_time, p.id) < ($5, $6::uuid))
		ORDER BY p.update_time DESC, p.id DESC
		LIMIT $7`,
		f.orgs, nullable(f.caseID), f.lawyer, f.strategic, f.afterTime, nullable(f.afterID), f.limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list proceedings: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*proceedingRow, error) { return scanProceeding(r) })
	if err != nil {
		return nil, false, fmt.Errorf("list proceedings: %w", err)
	}
	for _, r := range out {
		if err := s.openProceeding(ctx, q, r); err != nil {
			return nil, false, err
		}
	}
	more := len(out) > f.limit
	if more {
		out = out[:f.limit]
	}
	return out, more, nil
}

// nullable turns an optional id into SQL NULL when empty.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
