package referrals

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/db"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// referralColumns reads a referral and the plain part of its case (as the
// referral shows it: caseaccess.SenderHolds); it needs
// "FROM referrals r JOIN cases c ON c.id = r.case_id".
var referralColumns = `r.id, r.seq, r.case_id, ` + caseaccess.ReferredReferenceSQL("r", "c") + `, c.organization_id, r.from_organization, r.to_organization,
	r.service, r.purpose, r.classes, r.texts, r.status, r.end_reason,
	r.consent_id::text, r.created_by, r.version, r.create_time, r.update_time, r.accept_time,
	r.decline_time, r.complete_time, r.withdraw_time, r.revoke_time,
	` + caseaccess.StatusColumns("c") + `, c.sex, c.age_band, c.child, c.nationality, c.country,
	c.identification_year, c.exploitation_forms, c.identification_status`

const referralFrom = ` FROM referrals r JOIN cases c ON c.id = r.case_id `

func scanReferral(row pgx.Row) (*referralRow, error) {
	var r referralRow
	var svc, purpose, status, caseStatus, sex, ageBand, child, idStatus int16
	var nationality, country string
	var year int32
	var forms []int16
	err := row.Scan(&r.ID, &r.Seq, &r.CaseID, &r.CaseReference, &r.CaseOwner, &r.From, &r.To,
		&svc, &purpose, &r.Classes, &r.Texts, &status, &r.EndReason,
		&r.ConsentID, &r.CreatedBy, &r.Version, &r.times.Create, &r.times.Update, &r.times.Accept,
		&r.times.Decline, &r.times.Complete, &r.times.Withdraw, &r.times.Revoke,
		&caseStatus, &r.CaseErased, &sex, &ageBand, &child, &nationality, &country,
		&year, &forms, &idStatus)
	if err != nil {
		return nil, err
	}
	r.Service = casebridgev1.ServiceKind(svc)
	r.Purpose = casebridgev1.ConsentPurpose(purpose)
	r.Status = casebridgev1.ReferralStatus(status)
	r.CaseStatus = casebridgev1.CaseStatus(caseStatus)
	r.Coded = &casebridgev1.CodedAttributes{
		Sex:                  casebridgev1.Sex(sex),
		AgeBand:              casebridgev1.AgeBand(ageBand),
		Child:                casebridgev1.ChildStatus(child),
		Nationality:          nationality,
		Country:              country,
		IdentificationYear:   year,
		IdentificationStatus: casebridgev1.IdentificationStatus(idStatus),
	}
	for _, f := range forms {
		r.Coded.ExploitationForms = append(r.Coded.ExploitationForms, casebridgev1.ExploitationForm(f))
	}
	if !caseaccess.SenderHolds(r.CaseOwner, r.From) {
		// The case moved on: the referral does not follow what it became.
		r.Coded = nil
	}
	return &r, nil
}

// getReferral loads a referral; lock takes its row lock for the transaction
// (take the case's lock first: see lockCase).
func getReferral(ctx context.Context, q db.Querier, id string, lock bool) (*referralRow, error) {
	sql := "SELECT " + referralColumns + referralFrom + "WHERE r.id = $1"
	if lock {
		sql += " FOR UPDATE OF r"
	}
	r, err := scanReferral(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, referralNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("load referral %s: %w", id, err)
	}
	return r, nil
}

// referralByRequest finds the referral org made earlier with the same
// request id, and its case; both are empty when there is none.
func referralByRequest(ctx context.Context, q db.Querier, org, requestID string) (id, caseID string, err error) {
	err = q.QueryRow(ctx, `SELECT id::text, case_id::text FROM referrals WHERE from_organization = $1 AND request_id = $2`, org, requestID).Scan(&id, &caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("look up referral request %s: %w", requestID, err)
	}
	return id, caseID, nil
}

// newReferral is a referral about to be inserted.
type newReferral struct {
	id, caseID, from, to string
	service              casebridgev1.ServiceKind
	purpose              casebridgev1.ConsentPurpose
	classes              []int16
	consentID            string
	texts                []byte // the message, sealed (see sealTexts)
	createdBy            string
	requestID            *string
}

// insertReferral writes a new pending referral; ok is false when one with
// the same request id already exists (a concurrent retry won the race).
func insertReferral(ctx context.Context, tx pgx.Tx, n newReferral) (bool, error) {
	tag, err := tx.Exec(ctx, `
		INSERT INTO referrals (id, case_id, from_organization, to_organization, service, classes,
			texts, status, purpose, consent_id, created_by, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10, $11)
		ON CONFLICT (from_organization, request_id) DO NOTHING`,
		n.id, n.caseID, n.from, n.to, int16(n.service), n.classes,
		n.texts, int16(n.purpose), n.consentID, n.createdBy, n.requestID)
	if err != nil {
		return false, fmt.Errorf("insert referral of case %s: %w", n.caseID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// saveStatus moves a locked referral to status, stamping the time of that
// status and, for a withdrawal or revocation, its reason; texts, when not
// nil, replaces the sealed texts (a decline's reason is one of them).
func saveStatus(ctx context.Context, tx pgx.Tx, id string, status casebridgev1.ReferralStatus, reason string, texts []byte) error {
	_, err := tx.Exec(ctx, `
		UPDATE referrals SET status = $2::smallint, update_time = now(), version = version + 1,
			accept_time    = CASE WHEN $2::smallint = 2 THEN now() ELSE accept_time END,
			decline_time   = CASE WHEN $2::smallint = 3 THEN now() ELSE decline_time END,
			complete_time  = CASE WHEN $2::smallint = 4 THEN now() ELSE complete_time END,
			withdraw_time  = CASE WHEN $2::smallint = 5 THEN now() ELSE withdraw_time END,
			revoke_time    = CASE WHEN $2::smallint = 6 THEN now() ELSE revoke_time END,
			texts          = coalesce($4::bytea, texts),
			end_reason     = CASE WHEN $2::smallint IN (5, 6) THEN $3::text ELSE end_reason END
		WHERE id = $1`, id, int16(status), reason, texts)
	if err != nil {
		return fmt.Errorf("save referral %s: %w", id, err)
	}
	return nil
}

// listFilter is a ListReferrals query after validation.
type listFilter struct {
	org       string
	incoming  bool
	outgoing  bool
	statuses  []int16
	caseID    *string
	beforeSeq int64
	limit     int
}

// listReferrals returns up to f.limit referrals before f.beforeSeq, newest
// first, and whether more follow.
func listReferrals(ctx context.Context, q db.Querier, f listFilter) ([]*referralRow, bool, error) {
	rows, err := q.Query(ctx, "SELECT "+referralColumns+referralFrom+`
		WHERE (($2 AND r.to_organization = $1) OR ($3 AND r.from_organization = $1))
		  AND (coalesce(cardinality($4::smallint[]), 0) = 0 OR r.status = ANY($4))
		  AND ($5::uuid IS NULL OR r.case_id = $5)
		  AND ($6 = 0 OR r.seq < $6)
		ORDER BY r.seq DESC
		LIMIT $7`, f.org, f.incoming, f.outgoing, f.statuses, f.caseID, f.beforeSeq, f.limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list referrals of %s: %w", f.org, err)
	}
	defer rows.Close()
	var out []*referralRow
	for rows.Next() {
		r, err := scanReferral(rows)
		if err != nil {
			return nil, false, fmt.Errorf("scan referral: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list referrals of %s: %w", f.org, err)
	}
	more := len(out) > f.limit
	if more {
		out = out[:f.limit]
	}
	return out, more, nil
}

// caseReferrals returns every referral of a case, oldest first.
func caseReferrals(ctx context.Context, q db.Querier, caseID string) ([]*referralRow, error) {
	rows, err := q.Query(ctx, "SELECT "+referralColumns+referralFrom+"WHERE r.case_id = $1 ORDER BY r.seq", caseID)
	if err != nil {
		return nil, fmt.Errorf("referrals of case %s: %w", caseID, err)
	}
	defer rows.Close()
	var out []*referralRow
	for rows.Next() {
		r, err := scanReferral(rows)
		if err != nil {
			return nil, fmt.Errorf("scan referral of case %s: %w", caseID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
