package cases

import (
	"time"

	"context"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseref"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/sealed"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// importBatch is how many rows go to PostgreSQL in one transaction.
const importBatch = 1000

// importYear is the reference counter of imported cases: they are numbered
// apart from intakes (SHA-IMP-000123), so a large import leaves the year's
// intake numbering alone.
const importYear = 0

// importJob is one ImportCases stream after its header.
type importJob struct {
	s      *Service
	org    string
	source string
	status casebridgev1.CaseStatus
	rows   []*casebridgev1.ImportRow
	resp   *casebridgev1.ImportCasesResponse
	// rejectionBytes is what the listed rejections weigh so far.
	rejectionBytes int
}

// ImportCases imports coded attributes in bulk. Each row is validated on its
// own: a bad row is rejected with its line number and reason and the good
// ones are kept. Rows are keyed by (source, line), so a re-run imports
// nothing twice.
func (s *Service) ImportCases(stream casebridgev1.CaseService_ImportCasesServer) error {
	ctx := stream.Context()
	p, err := authz.Caller(ctx)
	if err != nil {
		return err
	}
	job, err := s.startImport(p, stream)
	if err != nil {
		return err
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		row := msg.GetRow()
		if row == nil {
			return rpcerr.InvalidArgument("row", "every message after the header must be a row")
		}
		job.add(row)
		if len(job.rows) >= importBatch {
			if err := job.flush(ctx); err != nil {
				return err
			}
		}
	}
	if err := job.flush(ctx); err != nil {
		return err
	}
	return stream.SendAndClose(job.resp)
}

func (s *Service) startImport(p authz.Principal, stream casebridgev1.CaseService_ImportCasesServer) (*importJob, error) {
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return nil, rpcerr.InvalidArgument("header", "the stream is empty: send a header first")
	}
	if err != nil {
		return nil, err
	}
	h := first.GetHeader()
	if h == nil {
		return nil, rpcerr.InvalidArgument("header", "the first message must be a header naming the source")
	}
	if err := s.validator.Check(first); err != nil {
		return nil, err
	}
	org, err := s.actingOrg(p, h.GetOrganizationId(), "header.organization_id", "case", "import")
	if err != nil {
		return nil, err
	}
	status := h.GetStatus()
	if status == casebridgev1.CaseStatus_CASE_STATUS_UNSPECIFIED {
		// An import brings historic records: they must not count as cases
		// taken on now.
		status = closed
	}
	// Only a digest of the source name is stored (see sealed.ImportSourceKey).
	source := sealed.ImportSourceKey(org, h.GetSource())
	return &importJob{s: s, org: org, source: source, status: status, resp: &casebridgev1.ImportCasesResponse{}}, nil
}

// add validates one row and queues it, or records why it was rejected.
func (j *importJob) add(row *casebridgev1.ImportRow) {
	j.resp.Received++
	reject := func(reason string) { j.reject(row.GetLine(), reason) }
	if row.GetParseError() != "" {
		reject(row.GetParseError())
		return
	}
	if err := j.s.validator.Check(row); err != nil {
		reject(err.Error())
		return
	}
	if err := validateCoded(row.GetCoded(), "coded"); err != nil {
		reject(err.Error())
		return
	}
	j.rows = append(j.rows, row)
}

// flush writes the queued rows in one transaction, skipping lines of this
// source imported before.
func (j *importJob) flush(ctx context.Context) error {
	if len(j.rows) == 0 {
		return nil
	}
	rows := j.rows
	j.rows = nil
	fresh, err := j.notImported(ctx, rows)
	if err != nil {
		return err
	}
	j.resp.AlreadyImported += int64(len(rows) - len(fresh))
	if len(fresh) == 0 {
		return nil
	}
	// What the organisation's case quota leaves room for is imported; then
	// the stream ends ResourceExhausted, and a re-run of the same source
	// after the retry delay imports the rest (lines imported are skipped).
	quota := j.s.limits().Cases
	now := time.Now()
	room, err := quota.Remaining(ctx, j.s.pool, j.org, now)
	if err != nil {
		return j.quotaSpent(err)
	}
	var spent error
	if len(fresh) > room {
		fresh = fresh[:room]
		spent = quota.Refusal(j.org, now)
	}
	prefix, first, err := caseref.ReserveAhead(ctx, j.s.pool, j.org, importYear, len(fresh))
	if err != nil {
		return err
	}
	var inserted int64
	err = pgx.BeginFunc(ctx, j.s.pool, func(tx pgx.Tx) error {
		batch := &pgx.Batch{}
		for i, row := range fresh {
			args := append([]any{uuid.NewString(), j.org, fmt.Sprintf("%s-IMP-%06d", prefix, first+i), int16(j.status)},
				codedArgs(row.GetCoded())...)
			created := registered(row.GetCoded().GetIdentificationYear(), time.Now())
			var closeTime *time.Time
			if j.status == closed {
				closeTime = &created
			}
			args = append(args, j.source, row.GetLine(), closeTime, created)
			batch.Queue(`INSERT INTO cases (id, organization_id, reference, status,
					sex, age_band, child, nationality, country, identification_year, exploitation_forms,
					identification_status, import_source, import_line, close_time, create_time)
				VALUES ($1, $2, $3, $4::smallint, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
				ON CONFLICT (organization_id, import_source, import_line) DO NOTHING`, args...)
		}
		results := tx.SendBatch(ctx, batch)
		for range fresh {
			tag, err := results.Exec()
			if err != nil {
				results.Close()
				return fmt.Errorf("import into %s: %w", j.org, err)
			}
			inserted += tag.RowsAffected()
		}
		if err := results.Close(); err != nil {
			return err
		}
		return quota.Charge(ctx, tx, j.org, int(inserted), now)
	})
	if err != nil {
		return err
	}
	j.resp.Imported += inserted
	j.resp.AlreadyImported += int64(len(fresh)) - inserted
	if spent != nil {
		return j.quotaSpent(spent)
	}
	return nil
}

// quotaSpent says how far the stream got when the case quota ended it.
func (j *importJob) quotaSpent(err error) error {
	var ex *rpcerr.Exhausted
	if !errors.As(err, &ex) {
		return err
	}
	return rpcerr.ResourceExhausted(ex.RetryDelay, "%s; %d rows of this stream were imported: run the same source again then to import the rest (rows imported are skipped)",
		ex.Msg, j.resp.GetImported())
}

// notImported drops the rows whose line this source already imported.
func (j *importJob) notImported(ctx context.Context, rows []*casebridgev1.ImportRow) ([]*casebridgev1.ImportRow, error) {
	lines := make([]int64, len(rows))
	for i, r := range rows {
		lines[i] = r.GetLine()
	}
	res, err := j.s.pool.Query(ctx, `SELECT import_line FROM cases
		WHERE organization_id = $1 AND import_source = $2 AND import_line = ANY($3)`, j.org, j.source, lines)
	if err != nil {
		return nil, fmt.Errorf("look up imported lines: %w", err)
	}
	done, err := pgx.CollectRows(res, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("look up imported lines: %w", err)
	}
	seen := make(map[int64]bool, len(done))
	for _, l := range done {
		seen[l] = true
	}
	var fresh []*casebridgev1.ImportRow
	for _, r := range rows {
		if !seen[r.GetLine()] {
			seen[r.GetLine()] = true // a line repeated within the stream counts once
			fresh = append(fresh, r)
		}
	}
	return fresh, nil
}

// registered is when an imported case is dated: 1 January (UTC) of its
// identification year, the only date a historic record carries; now when
// the year is unknown or later than now.
func registered(year int32, now time.Time) time.Time {
	if year <= 0 || int(year) > now.Year() {
		return now
	}
	return time.Date(int(year), time.January, 1, 0, 0, 0, 0, time.UTC)
}
