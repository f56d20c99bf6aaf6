package compensation

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

// claimColumns reads a claim with the sum of its ledger; dates come as
// YYYY-MM-DD whatever the session's DateStyle.
const claimColumns = `c.id, c.case_id, COALESCE(c.proceeding_id::text, ''), c.type, c.respondent_kind, c.texts,
	COALESCE(c.currency, ''), c.amount_claimed, c.amount_awarded,
	(SELECT COALESCE(sum(cp.amount_minor), 0) FROM claim_payments cp WHERE cp.claim_id = c.id)::bigint,
	c.status, COALESCE(to_char(c.filed_date, 'YYYY-MM-DD'), ''), COALESCE(to_char(c.decision_date, 'YYYY-MM-DD'), ''),
	c.created_by, c.version, c.create_time, c.update_time,
	(SELECT k.reference FROM cases k WHERE k.id = c.case_id)`

func scanClaim(row pgx.Row) (*claimRow, error) {
	var c claimRow
	var typ, kind, status int16
	err := row.Scan(&c.ID, &c.CaseID, &c.ProceedingID, &typ, &kind, &c.Texts,
		&c.Currency, &c.Claimed, &c.Awarded, &c.Paid,
		&status, &c.FiledDate, &c.DecisionDate, &c.CreatedBy, &c.Version, &c.CreateTime, &c.UpdateTime, &c.CaseReference)
	if err != nil {
		return nil, err
	}
	c.Type = casebridgev1.ClaimType(typ)
	c.RespondentKind = casebridgev1.ClaimPartyKind(kind)
	c.Status = casebridgev1.ClaimStatus(status)
	return &c, nil
}

// caseOfClaim finds the case of claim id; a claim that does not exist is
// NotFound.
func caseOfClaim(ctx context.Context, q db.Querier, id string) (string, error) {
	var caseID string
	err := q.QueryRow(ctx, `SELECT case_id FROM claims WHERE id = $1`, id).Scan(&caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", claimNotFound(id)
	}
	if err != nil {
		return "", fmt.Errorf("find case of claim %s: %w", id, err)
	}
	return caseID, nil
}

// isProceedingOf reports whether proceeding proceedingID is one of case
// caseID's.
func isProceedingOf(ctx context.Context, q db.Querier, proceedingID, caseID string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM proceedings WHERE id = $1 AND case_id = $2)`,
		proceedingID, caseID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up proceeding %s: %w", proceedingID, err)
	}
	return ok, nil
}

// getClaim loads a claim; lock takes a row lock on it for the transaction,
// which is what serialises payments: the ledger total read here cannot
// change until the transaction ends.
//
// The lock is taken by a statement of its own. A SELECT ... FOR UPDATE that
// waits for another transaction re-reads the locked row once it commits,
// but its sub-select of the ledger would still see the snapshot from
// before the wait — and miss the payment just committed. The read after
// the lock starts with a fresh snapshot (READ COMMITTED) that includes it.
func (s *Service) getClaim(ctx context.Context, q db.Querier, id string, lock bool) (*claimRow, error) {
	if lock {
		if _, err := q.Exec(ctx, "SELECT 1 FROM claims WHERE id = $1 FOR UPDATE", id); err != nil {
			return nil, fmt.Errorf("lock claim %s: %w", id, err)
		}
	}
	c, err := scanClaim(q.QueryRow(ctx, "SELECT "+claimColumns+" FROM claims c WHERE c.id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, claimNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("load claim %s: %w", id, err)
	}
	return c, s.openClaim(ctx, q, c)
}

// claimByRequest finds the claim created earlier on the case with the same
// request id: its id and case, "" when there is none.
func claimByRequest(ctx context.Context, q db.Querier, caseID, requestID string) (id, ofCase string, err error) {
	err = q.QueryRow(ctx, `SELECT id, case_id FROM claims WHERE case_id = $1 AND request_id = $2`, caseID, requestID).Scan(&id, &ofCase)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("look up request %s: %w", requestID, err)
	}
	return id, ofCase, nil
}

// insertClaim writes a new claim; ok is false when one with the same
// request id exists already.
func (s *Service) insertClaim(ctx context.Context, tx pgx.Tx, c *claimRow, requestID *string) (bool, error) {
	t := claimTexts{RespondentName: c.RespondentName, StatusReason: c.StatusReason}
	texts, err := s.sealTexts(ctx, tx, vault.ClaimTexts, c.CaseID, c.ID, t, t == claimTexts{})
	if err != nil {
		return false, err
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO claims (id, case_id, proceeding_id, type, respondent_kind, texts,
			currency, amount_claimed, status, created_by, request_id)
		VALUES ($1, $2, NULLIF($3, '')::uuid, $4, $5, $6, NULLIF($7, ''), $8, $9, $10, $11)
		ON CONFLICT (case_id, request_id) DO NOTHING`,
		c.ID, c.CaseID, c.ProceedingID, int16(c.Type), int16(c.RespondentKind), texts,
		c.Currency, c.Claimed, int16(c.Status), c.CreatedBy, requestID)
	if err != nil {
		return false, fmt.Errorf("insert claim %s: %w", c.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// saveClaim writes the mutable columns of c and bumps its version; the row
// must be locked by the caller's transaction.
func (s *Service) saveClaim(ctx context.Context, tx pgx.Tx, c *claimRow, now time.Time) error {
	t := claimTexts{RespondentName: c.RespondentName, StatusReason: c.StatusReason}
	texts, err := s.sealTexts(ctx, tx, vault.ClaimTexts, c.CaseID, c.ID, t, t == claimTexts{})
	if err != nil {
		return err
	}
	// The plain text columns of older versions are cleared on every write.
	err = tx.QueryRow(ctx, `
		UPDATE claims SET proceeding_id = NULLIF($2, '')::uuid, type = $3, respondent_kind = $4,
			texts = $5, respondent_name = '', currency = NULLIF($6, ''), amount_claimed = $7, amount_awarded = $8,
			status = $9, filed_date = NULLIF($10, '')::date, decision_date = NULLIF($11, '')::date,
			status_reason = '', update_time = $12, version = version + 1
		WHERE id = $1
		RETURNING version, update_time`,
		c.ID, c.ProceedingID, int16(c.Type), int16(c.RespondentKind), texts,
		c.Currency, c.Claimed, c.Awarded, int16(c.Status), c.FiledDate, c.DecisionDate,
		now).Scan(&c.Version, &c.UpdateTime)
	if err != nil {
		return fmt.Errorf("save claim %s: %w", c.ID, err)
	}
	return nil
}

// claimFilter is a ListClaims query after validation.
type claimFilter struct {
	orgs         []string
	caseID       string
	status       int16
	proceedingID string
	afterTime    *time.Time
	afterID      string
	limit        int
}

// listClaims returns up to f.limit claims of cases visible to f.orgs, most
// recently changed first, and whether more follow. The caller still checks
// each case with the policy (the referral ceiling).
func (s *Service) listClaims(ctx context.Context, q db.Querier, f claimFilter) ([]*claimRow, bool, error) {
	rows, err := q.Query(ctx, "SELECT "+claimColumns+` FROM claims c
		WHERE EXISTS (SELECT 1 FROM cases k WHERE k.id = c.case_id AND `+caseaccess.LegalSQL("k", "$1")+`)
		  AND ($2::uuid IS NULL OR c.case_id = $2)
		  AND ($3 = 0 OR c.status = $3)
		  AND ($4::uuid IS NULL OR c.proceeding_id = $4)
		  AND ($5::timestamptz IS NULL OR (c.update_time, c.id) < ($5, $6::uuid))
		ORDER BY c.update_time DESC, c.id DESC
		LIMIT $7`,
		f.orgs, nullable(f.caseID), f.status, nullable(f.proceedingID), f.afterTime, nullable(f.afterID), f.limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list claims: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*claimRow, error) { return scanClaim(r) })
	if err != nil {
		return nil, false, fmt.Errorf("list claims: %w", err)
	}
	if err := s.openClaims(ctx, q, out); err != nil {
		return nil, false, err
	}
	more := len(out) > f.limit
	if more {
		out = out[:f.limit]
	}
	return out, more, nil
}

// claimsOfCase returns every claim of a case, for its summary. A case has a
// handful of claims; the summary is not paginated.
func (s *Service) claimsOfCase(ctx context.Context, q db.Querier, caseID string) ([]*claimRow, error) {
	rows, err := q.Query(ctx, "SELECT "+claimColumns+" FROM claims c WHERE c.case_id = $1", caseID)
	if err != nil {
		return nil, fmt.Errorf("claims of case %s: %w", caseID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*claimRow, error) { return scanClaim(r) })
	if err != nil {
		return nil, fmt.Errorf("claims of case %s: %w", caseID, err)
	}
	return out, s.openClaims(ctx, q, out)
}

// nullable turns an optional id into SQL NULL when empty.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
