package tasks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// taskRow is one row of the tasks table with its case's reference.
type taskRow struct {
	ID, CaseID, Reference, Org string
	Kind                       casebridgev1.TaskKind
	Title, Notes               string // opened from Texts
	Texts                      []byte
	Due                        time.Time
	Assignee                   string
	SnoozeUntil                *time.Time
	SourceID                   *string
	CreatedBy, CompletedBy     string
	CompleteTime               *time.Time
	Version                    int64
	CreateTime, UpdateTime     time.Time
}

// taskTexts is what tasks.texts holds (vault.TaskTexts).
type taskTexts struct {
	Title string `json:"title,omitempty"`
	Notes string `json:"notes,omitempty"`
}

func (t *taskRow) status(now time.Time) casebridgev1.TaskStatus {
	return Status(t.CompleteTime != nil, t.SnoozeUntil, now)
}

func ts(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

// toProto is the task as a caller sees it: with its texts when withTexts,
// and with the exact time and id of the court data it is about only when
// court (see courtReadable).
func (t *taskRow) toProto(now time.Time, withTexts, court bool) *casebridgev1.Task {
	out := &casebridgev1.Task{
		Id: t.ID, CaseId: t.CaseID, CaseReference: t.Reference, OrganizationId: t.Org,
		Kind: t.Kind, Status: t.status(now), DueTime: timestamppb.New(t.Due), Assignee: t.Assignee,
		SnoozeUntil: ts(t.SnoozeUntil), CreatedBy: t.CreatedBy, CompletedBy: t.CompletedBy,
		CompleteTime: ts(t.CompleteTime), Etag: strconv.FormatInt(t.Version, 10),
		CreateTime: timestamppb.New(t.CreateTime), UpdateTime: timestamppb.New(t.UpdateTime),
	}
	if t.SourceID != nil {
		out.SourceId = *t.SourceID
	}
	if withTexts {
		out.Title, out.Notes = t.Title, t.Notes
	}
	if !court {
		withholdCourt(out)
	}
	return out
}

const taskColumns = `t.id::text, t.case_id::text, c.reference, t.organization_id, t.kind, t.texts, t.due_time,
	t.assignee, t.snooze_until, t.source_id::text, t.created_by, t.completed_by, t.complete_time,
	t.version, t.create_time, t.update_time`

const taskFrom = ` FROM tasks t JOIN cases c ON c.id = t.case_id`

func scanTask(row pgx.Row) (*taskRow, error) {
	var t taskRow
	var kind int16
	err := row.Scan(&t.ID, &t.CaseID, &t.Reference, &t.Org, &kind, &t.Texts, &t.Due, &t.Assignee, &t.SnoozeUntil,
		&t.SourceID, &t.CreatedBy, &t.CompletedBy, &t.CompleteTime, &t.Version, &t.CreateTime, &t.UpdateTime)
	if err != nil {
		return nil, err
	}
	t.Kind = casebridgev1.TaskKind(kind)
	t.Due = t.Due.UTC()
	return &t, nil
}

func taskNotFound(id string) error { return rpcerr.NotFound("task %s not found", id) }

// caseOfTask finds the case of task id; a missing task is notFound.
func caseOfTask(ctx context.Context, q db.Querier, id string) (string, error) {
	var caseID string
	err := q.QueryRow(ctx, `SELECT case_id::text FROM tasks WHERE id = $1`, id).Scan(&caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", taskNotFound(id)
	}
	if err != nil {
		return "", fmt.Errorf("find case of task %s: %w", id, err)
	}
	return caseID, nil
}

// isMember reports whether subject is a member of organisation org.
func isMember(ctx context.Context, q db.Querier, org, subject string) (bool, error) {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM memberships WHERE organization_id = $1 AND subject = $2)`, org, subject).Scan(&ok); err != nil {
		return false, fmt.Errorf("look up assignee: %w", err)
	}
	return ok, nil
}

// getTask loads task id, locked for the caller's transaction with lock, and
// opens its texts when open is set.
func (s *Service) getTask(ctx context.Context, q db.Querier, id string, lock, open bool) (*taskRow, error) {
	sql := "SELECT " + taskColumns + taskFrom + " WHERE t.id = $1"
	if lock {
		sql += " FOR UPDATE OF t"
	}
	t, err := scanTask(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, taskNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("load task %s: %w", id, err)
	}
	if open {
		return t, s.openTexts(ctx, q, t)
	}
	return t, nil
}

func (s *Service) openTexts(ctx context.Context, q db.Querier, t *taskRow) error {
	var tx taskTexts
	if err := sealed.OpenRow(ctx, s.keys, q, vault.TaskTexts, t.CaseID, t.ID, t.Texts, &tx); err != nil {
		return err
	}
	t.Title, t.Notes = tx.Title, tx.Notes
	return nil
}

// taskByRequest finds the task created earlier on the case with request id.
func taskByRequest(ctx context.Context, q db.Querier, caseID, requestID string) (string, string, error) {
	var id, c string
	err := q.QueryRow(ctx, `SELECT id::text, case_id::text FROM tasks WHERE case_id = $1 AND request_id = $2`, caseID, requestID).Scan(&id, &c)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("find task by request id: %w", err)
	}
	return id, c, nil
}

// insertFollowUp writes a member's follow-up with its sealed texts; ok is
// false when one with the same request id exists already.
func (s *Service) insertFollowUp(ctx context.Context, tx pgx.Tx, t *taskRow, requestID *string) (bool, error) {
	key, err := s.sealKey(ctx, tx, t.CaseID)
	if err != nil {
		return false, err
	}
	defer key.Wipe()
	texts, err := sealed.SealTexts(vault.TaskTexts, key, t.CaseID, t.ID, taskTexts{Title: t.Title, Notes: t.Notes})
	if err != nil {
		return false, fmt.Errorf("seal task %s: %w", t.ID, err)
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO tasks (id, case_id, organization_id, kind, texts, due_time, assignee, created_by, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (case_id, request_id) DO NOTHING`,
		t.ID, t.CaseID, t.Org, int16(casebridgev1.TaskKind_TASK_KIND_FOLLOW_UP), texts, t.Due, t.Assignee, t.CreatedBy, requestID)
	if err != nil {
		return false, fmt.Errorf("insert task %s: %w", t.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// saveState writes a task's completion and snooze and bumps its version;
// the row must be locked by tx.
func saveState(ctx context.Context, tx pgx.Tx, t *taskRow, now time.Time) error {
	err := tx.QueryRow(ctx, `
		UPDATE tasks SET snooze_until = $2, completed_by = $3, complete_time = $4, update_time = $5, version = version + 1
		WHERE id = $1 RETURNING version, update_time`,
		t.ID, t.SnoozeUntil, t.CompletedBy, t.CompleteTime, now).Scan(&t.Version, &t.UpdateTime)
	if err != nil {
		return fmt.Errorf("save task %s: %w", t.ID, err)
	}
	return nil
}

// listFilter is a ListTasks query after validation.
type listFilter struct {
	orgs      []string
	assignee  string // "" for anyone
	caseID    string
	due       casebridgev1.TaskDue
	soonUntil time.Time
	now       time.Time
	afterDue  *time.Time
	afterID   string
	limit     int
}

// listTasks returns up to f.limit open tasks, earliest due first, and
// whether more follow.
func (s *Service) listTasks(ctx context.Context, q db.Querier, f listFilter) ([]*taskRow, bool, error) {
	var dueCond string
	// Lists go by the due time every caller may see (ListDueSQL).
	due := ListDueSQL("t")
	switch f.due {
	case casebridgev1.TaskDue_TASK_DUE_OVERDUE:
		dueCond = due + " < $3 AND " + AwakeSQL("t", "$3")
	case casebridgev1.TaskDue_TASK_DUE_SOON:
		dueCond = due + " >= $3 AND " + due + " < $4 AND " + AwakeSQL("t", "$3")
	default:
		dueCond = "true"
	}
	// Both instants are typed whichever filter uses them.
	dueCond += " AND $3::timestamptz IS NOT NULL AND $4::timestamptz IS NOT NULL"
	var afterID *string
	if f.afterID != "" {
		afterID = &f.afterID
	}
	var caseID *string
	if f.caseID != "" {
		caseID = &f.caseID
	}
	rows, err := q.Query(ctx, "SELECT "+taskColumns+taskFrom+`
		WHERE t.organization_id = ANY($1) AND `+OpenSQL("t")+`
		  AND NOT `+caseaccess.ErasedSQL("c")+`
		  AND ($2 = '' OR t.assignee = $2)
		  AND `+dueCond+`
		  AND ($5::timestamptz IS NULL OR (`+due+`, t.id) > ($5, $6::uuid))
		  AND ($7::uuid IS NULL OR t.case_id = $7)
		ORDER BY `+due+`, t.id
		LIMIT $8`,
		f.orgs, f.assignee, f.now, f.soonUntil, f.afterDue, afterID, caseID, f.limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list tasks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*taskRow, error) { return scanTask(r) })
	if err != nil {
		return nil, false, fmt.Errorf("list tasks: %w", err)
	}
	more := len(out) > f.limit
	if more {
		out = out[:f.limit]
	}
	return out, more, nil
}

// CloseOnErasure completes every open task of case caseID, as the server,
// in tx: the transaction that erases the case, so that an erased case
// never has a task left to do — its follow-ups were about a person whose
// data is gone, and its system tasks about records that are. The tasks
// stay, done, for the counts; their texts are shredded with the case.
func CloseOnErasure(ctx context.Context, tx pgx.Tx, caseID string) error {
	_, err := tx.Exec(ctx, `UPDATE tasks SET completed_by = $2, complete_time = now(), update_time = now(), version = version + 1
		WHERE case_id = $1 AND `+OpenSQL("tasks"), caseID, audit.SystemSubject)
	if err != nil {
		return fmt.Errorf("close the tasks of erased case %s: %w", caseID, err)
	}
	return nil
}
