package transfers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/caseref"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/referral"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/transfer"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// transferColumns reads a transfer and the coded attributes of its case
// (kept only while the transfer is proposed: see scanTransfer); it needs
// transferFrom. sender_follows is whether a follow-up consent naming
// the sender is in force (what it keeps once the case has moved).
var transferColumns = `t.id::text, t.seq, t.case_id::text, t.from_organization, t.to_organization, t.status,
	t.consent_id::text, t.from_reference, t.to_reference, t.proposed_by, t.answered_by, t.version,
	t.create_time, t.update_time, t.accept_time, t.decline_time, t.cancel_time,
	(t.status IN (` + fmt.Sprint(transfer.Stored(transfer.Proposed)) + `, ` + fmt.Sprint(transfer.Stored(transfer.Accepted)) + `)
	  AND ` + caseaccess.FollowUpConsentSQL("c", "t.from_organization") + `),
	c.sex, c.age_band, c.child, c.nationality, c.country, c.identification_year, c.exploitation_forms,
	c.identification_status`

const transferFrom = ` FROM case_transfers t JOIN cases c ON c.id = t.case_id `

func scanTransfer(row pgx.Row) (*transferRow, error) {
	var t transferRow
	var status, sex, ageBand, child, idStatus int16
	var nationality, country string
	var year int32
	var forms []int16
	err := row.Scan(&t.ID, &t.Seq, &t.CaseID, &t.From, &t.To, &status,
		&t.ConsentID, &t.FromRef, &t.ToRef, &t.ProposedBy, &t.AnsweredBy, &t.Version,
		&t.Create, &t.Update, &t.Accept, &t.Decline, &t.Cancel, &t.SenderFollows,
		&sex, &ageBand, &child, &nationality, &country, &year, &forms, &idStatus)
	if err != nil {
		return nil, err
	}
	t.Status = casebridgev1.TransferStatus(status)
	t.Coded = &casebridgev1.CodedAttributes{
		Sex:                  casebridgev1.Sex(sex),
		AgeBand:              casebridgev1.AgeBand(ageBand),
		Child:                casebridgev1.ChildStatus(child),
		Nationality:          nationality,
		Country:              country,
		IdentificationYear:   year,
		IdentificationStatus: casebridgev1.IdentificationStatus(idStatus),
	}
	for _, f := range forms {
		t.Coded.ExploitationForms = append(t.Coded.ExploitationForms, casebridgev1.ExploitationForm(f))
	}
	if status != transfer.Stored(transfer.Proposed) {
		// The coded attributes are what the receiver decides on. Once
		// answered, they are the live case's: the owner reads them from
		// the case, and a side that no longer holds it must not follow
		// them as they change.
		t.Coded = nil
	}
	return &t, nil
}

// getTransfer loads a transfer; lock takes its row lock for the
// transaction (take the case's lock first: see lockCase).
func getTransfer(ctx context.Context, q db.Querier, id string, lock bool) (*transferRow, error) {
	sql := "SELECT " + transferColumns + transferFrom + "WHERE t.id = $1"
	if lock {
		sql += " FOR UPDATE OF t"
	}
	t, err := scanTransfer(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, transferNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("load transfer %s: %w", id, err)
	}
	return t, nil
}

// transferByRequest finds the transfer org proposed earlier with the same
// request id, and its case; both are empty when there is none.
func transferByRequest(ctx context.Context, q db.Querier, org, requestID string) (id, caseID string, err error) {
	err = q.QueryRow(ctx, `SELECT id::text, case_id::text FROM case_transfers WHERE from_organization = $1 AND request_id = $2`,
		org, requestID).Scan(&id, &caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("look up transfer request %s: %w", requestID, err)
	}
	return id, caseID, nil
}

// lockCase takes the case row lock that every change to a case's sharing
// takes first (referrals, consent withdrawal, erasure), so that a transfer
// is answered with the case standing still.
func lockCase(ctx context.Context, tx pgx.Tx, id string) error {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM cases WHERE id = $1 FOR UPDATE`, id); err != nil {
		return fmt.Errorf("lock case %s: %w", id, err)
	}
	return nil
}

// refuseOpenReferrals is FailedPrecondition while the case has a pending or
// accepted referral: those were made by the owner on the person's consent
// to named partners, and the receiver of the case decides afresh whom it
// works with. The caseworker completes, withdraws or revokes them first.
func refuseOpenReferrals(ctx context.Context, q db.Querier, caseID string) error {
	rows, err := q.Query(ctx, `SELECT r.id::text FROM referrals r WHERE r.case_id = $1 AND `+referral.OpenSQL("r")+` ORDER BY r.seq LIMIT 5`, caseID)
	if err != nil {
		return fmt.Errorf("look up open referrals of case %s: %w", caseID, err)
	}
	open, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("look up open referrals of case %s: %w", caseID, err)
	}
	if len(open) > 0 {
		return rpcerr.FailedPrecondition("case %s has open referrals (%s): complete, withdraw or revoke them before transferring the case",
			caseID, strings.Join(open, ", "))
	}
	return nil
}

// proposedOf is the transfer of the case waiting for an answer, "" when none.
func proposedOf(ctx context.Context, q db.Querier, caseID string) (string, error) {
	var id string
	err := q.QueryRow(ctx, `SELECT t.id::text FROM case_transfers t WHERE t.case_id = $1 AND `+transfer.ProposedSQL("t"), caseID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("look up proposed transfer of case %s: %w", caseID, err)
	}
	return id, nil
}

// newTransfer is a proposal about to be stored.
type newTransfer struct {
	id, caseID, from, to, consentID, fromRef, proposedBy string
	requestID                                            *string
}

// insertTransfer stores a proposal; false when the same request id was
// used already (a concurrent retry won the race).
func insertTransfer(ctx context.Context, tx pgx.Tx, n newTransfer) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO case_transfers (id, case_id, from_organization, to_organization, status, consent_id,
			from_reference, proposed_by, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (from_organization, request_id) DO NOTHING`,
		n.id, n.caseID, n.from, n.to, transfer.Stored(transfer.Proposed), n.consentID, n.fromRef, n.proposedBy, n.requestID)
	if err != nil {
		return false, fmt.Errorf("store transfer of case %s: %w", n.caseID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// caseReference is the case's current reference (in its owner's series).
func caseReference(ctx context.Context, q db.Querier, caseID string) (string, error) {
	var ref string
	if err := q.QueryRow(ctx, `SELECT reference FROM cases WHERE id = $1`, caseID).Scan(&ref); err != nil {
		return "", fmt.Errorf("read reference of case %s: %w", caseID, err)
	}
	return ref, nil
}

// moveCase makes to the owner of the case, numbered in its own series, and
// returns the new reference. The assignment is the sender's caseworker's,
// so it goes; the receiver assigns its own.
func moveCase(ctx context.Context, tx pgx.Tx, caseID, to string) (string, error) {
	var year int
	if err := tx.QueryRow(ctx, `SELECT extract(year FROM now())::int`).Scan(&year); err != nil {
		return "", fmt.Errorf("move case %s: %w", caseID, err)
	}
	prefix, number, err := caseref.Reserve(ctx, tx, to, year, 1)
	if err != nil {
		return "", err
	}
	ref := caseref.Format(prefix, year, number)
	_, err = tx.Exec(ctx, `UPDATE cases SET organization_id = $2, reference = $3, assigned_caseworker = '',
		version = version + 1, update_time = now() WHERE id = $1`, caseID, to, ref)
	if err != nil {
		return "", fmt.Errorf("move case %s to %s: %w", caseID, to, err)
	}
	return ref, nil
}

// moveOpenTasks hands the open tasks of case caseID to organisation to, with
// the case: the former owner keeps no follow-up of a case it no longer
// holds, and the receiver assigns them itself (its assignees are not ours).
func moveOpenTasks(ctx context.Context, tx pgx.Tx, caseID, to string) error {
	_, err := tx.Exec(ctx, `UPDATE tasks SET organization_id = $2, assignee = ''
		WHERE case_id = $1 AND complete_time IS NULL`, caseID, to)
	if err != nil {
		return fmt.Errorf("move open tasks of case %s to %s: %w", caseID, to, err)
	}
	return nil
}

// saveAnswer records transition to on transfer id, by subject; ref is the
// receiver's reference of the case when it was accepted.
func saveAnswer(ctx context.Context, tx pgx.Tx, id string, to transfer.Status, subject, ref string) error {
	_, err := tx.Exec(ctx, `UPDATE case_transfers SET status = $2::smallint, answered_by = $3, to_reference = $4,
			accept_time = CASE WHEN $2::smallint = $5::smallint THEN now() END,
			decline_time = CASE WHEN $2::smallint = $6::smallint THEN now() END,
			cancel_time = CASE WHEN $2::smallint = $7::smallint THEN now() END,
			version = version + 1, update_time = now()
		WHERE id = $1`, id, transfer.Stored(to), subject, ref,
		transfer.Stored(transfer.Accepted), transfer.Stored(transfer.Declined), transfer.Stored(transfer.Cancelled))
	if err != nil {
		return fmt.Errorf("save transfer %s: %w", id, err)
	}
	return nil
}

// listFilter selects a page of transfers.
type listFilter struct {
	orgs   []string
	caseID string
	status transfer.Status
	after  int64 // seq of the last transfer of the previous page; 0: first page
	limit  int
}

func listTransfers(ctx context.Context, q db.Querier, f listFilter) ([]*transferRow, error) {
	var caseID *string
	if f.caseID != "" {
		caseID = &f.caseID
	}
	rows, err := q.Query(ctx, "SELECT "+transferColumns+transferFrom+`
		WHERE (t.from_organization = ANY($1) OR t.to_organization = ANY($1))
		  AND ($2::uuid IS NULL OR t.case_id = $2) AND ($3::smallint = 0 OR t.status = $3) AND ($4::bigint = 0 OR t.seq < $4)
		ORDER BY t.seq DESC LIMIT $5`, f.orgs, caseID, transfer.Stored(f.status), f.after, f.limit+1)
	if err != nil {
		return nil, fmt.Errorf("list transfers: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*transferRow, error) { return scanTransfer(row) })
	if err != nil {
		return nil, fmt.Errorf("list transfers: %w", err)
	}
	return out, nil
}
