package cases

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const caseColumns = `id, seq, organization_id, reference, status, assigned_caseworker,
	sex, age_band, child, nationality, country, identification_year, exploitation_forms,
	identification_status, classes_present, version, create_time, update_time, close_time, erase_time`

// caseScan holds a case row and the values it is scanned through, so that
// a row costs few allocations rather than one per column (a page of a list
// scans fifty): the text columns are gathered into the scanner's buffer and
// made one string, which the row's fields slice.
type caseScan struct {
	r                                     caseRow
	coded                                 casebridgev1.CodedAttributes
	status, sex, ageBand, child, idStatus int16
	forms                                 []int16
	year                                  int32
	id                                    pgtype.UUID
	shares, org, ref, assigned, nat, ctry textCol
}

// caseScanner scans case rows; the rows of one query share it, so that its
// scan targets and text buffer are allocated once a query, not once a row.
type caseScanner struct {
	buf  []byte
	dest [24]any
}

// textCol is the scan target of a text column: it copies the column's bytes
// (valid only during the scan) to the scanner's buffer and remembers where.
type textCol struct {
	buf        *[]byte
	start, end int
}

// ScanBytes implements pgtype.BytesScanner.
func (c *textCol) ScanBytes(src []byte) error {
	c.start = len(*c.buf)
	*c.buf = append(*c.buf, src...)
	c.end = len(*c.buf)
	return nil
}

func (c *textCol) in(all string) string { return all[c.start:c.end] }

// scanCase scans the columns of caseColumns, after the leading columns
// prefix names (extra values a query loads with the row).
func scanCase(row pgx.Row, prefix ...any) (*caseRow, error) {
	r, _, err := (&caseScanner{}).scan(row, false, prefix)
	return r, err
}

// scan scans prefix, a SharesColumn when withShares, then the columns of
// caseColumns; it returns the shares column's text ("" without).
func (sc *caseScanner) scan(row pgx.Row, withShares bool, prefix []any) (*caseRow, string, error) {
	s := &caseScan{}
	sc.buf = sc.buf[:0]
	for _, c := range []*textCol{&s.shares, &s.org, &s.ref, &s.assigned, &s.nat, &s.ctry} {
		c.buf = &sc.buf
	}
	r := &s.r
	n := copy(sc.dest[:], prefix)
	if withShares {
		sc.dest[n] = &s.shares
		n++
	}
	n += copy(sc.dest[n:], []any{&s.id, &r.Seq, &s.org, &s.ref, &s.status, &s.assigned,
		&s.sex, &s.ageBand, &s.child, &s.nat, &s.ctry, &s.year, &s.forms,
		&s.idStatus, &r.ClassesPresent, &r.Version, &r.CreateTime, &r.UpdateTime, &r.CloseTime, &r.EraseTime})
	if err := row.Scan(sc.dest[:n]...); err != nil {
		return nil, "", err
	}
	if !s.id.Valid {
		return nil, "", errors.New("case row without an id")
	}
	idAt := len(sc.buf)
	sc.buf = appendUUID(sc.buf, s.id.Bytes)
	all := string(sc.buf)
	r.ID = all[idAt:]
	r.OrgID, r.Reference, r.Assigned = s.org.in(all), s.ref.in(all), s.assigned.in(all)
	r.Status = casebridgev1.CaseStatus(s.status)
	c := &s.coded
	c.Nationality, c.Country = s.nat.in(all), s.ctry.in(all)
	c.Sex, c.AgeBand, c.Child = casebridgev1.Sex(s.sex), casebridgev1.AgeBand(s.ageBand), casebridgev1.ChildStatus(s.child)
	c.IdentificationYear, c.IdentificationStatus = s.year, casebridgev1.IdentificationStatus(s.idStatus)
	if len(s.forms) > 0 {
		c.ExploitationForms = make([]casebridgev1.ExploitationForm, len(s.forms))
		for i, f := range s.forms {
			c.ExploitationForms[i] = casebridgev1.ExploitationForm(f)
		}
	}
	r.Coded = c
	return r, s.shares.in(all), nil
}

// appendUUID appends u in its canonical text form (lower-case hex,
// hyphenated), as PostgreSQL prints a uuid.
func appendUUID(b []byte, u [16]byte) []byte {
	const hexDigits = "0123456789abcdef"
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[x>>4], hexDigits[x&0x0f])
	}
	return b
}

// codedArgs are the coded attributes as SQL arguments, in column order.
func codedArgs(c *casebridgev1.CodedAttributes) []any {
	forms := make([]int16, 0, len(c.GetExploitationForms()))
	for _, f := range c.GetExploitationForms() {
		forms = append(forms, int16(f))
	}
	return []any{int16(c.GetSex()), int16(c.GetAgeBand()), int16(c.GetChild()), c.GetNationality(),
		c.GetCountry(), c.GetIdentificationYear(), forms, int16(c.GetIdentificationStatus())}
}

// getCase loads a case row; lock takes a row lock for the transaction.
func getCase(ctx context.Context, q db.Querier, id string, lock bool) (*caseRow, error) {
	sql := "SELECT " + caseColumns + " FROM cases WHERE id = $1"
	if lock {
		sql += " FOR UPDATE"
	}
	r, err := scanCase(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, caseNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("load case %s: %w", id, err)
	}
	return r, nil
}

// sealedCaseSQL loads a case row with its ciphertexts and its sharing as
// one row: the ciphertexts as parallel arrays, so the case's columns are
// sent, scanned and the sharing computed once, not once per class.
var sealedCaseSQL = `SELECT s.classes, s.cts, ` + caseaccess.SharesColumn("cases") + `, ` + caseColumns + `
	FROM cases, LATERAL (SELECT array_agg(c.class ORDER BY c.class) AS classes, array_agg(c.ciphertext ORDER BY c.class) AS cts
		FROM case_secrets c WHERE c.case_id = cases.id) s
	WHERE cases.id = $1`

// getCaseSealed loads a case row together with its ciphertexts, in one
// round trip: the hot path of a full read.
func getCaseSealed(ctx context.Context, q db.Querier, id string) (*caseRow, error) {
	var classes []int16
	var cts [][]byte
	r, shares, err := (&caseScanner{}).scan(q.QueryRow(ctx, sealedCaseSQL, id), true, []any{&classes, &cts})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, caseNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("load case %s: %w", id, err)
	}
	if len(classes) != len(cts) {
		return nil, fmt.Errorf("load case %s: %d classes for %d ciphertexts", id, len(classes), len(cts))
	}
	if r.shares, err = caseaccess.DecodeShares(shares); err != nil {
		return nil, fmt.Errorf("load case %s: %w", id, err)
	}
	r.secrets = make(map[dataclass.Class][]byte, len(classes))
	for i, c := range classes {
		r.secrets[dataclass.FromStored(c)] = cts[i]
	}
	return r, nil
}

// caseIDByRequest finds the case org created earlier with the same
// request id; "" when there is none.
func caseIDByRequest(ctx context.Context, q db.Querier, org, requestID string) (string, error) {
	var id string
	err := q.QueryRow(ctx, `SELECT id FROM cases WHERE organization_id = $1 AND request_id = $2`, org, requestID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("look up request %s: %w", requestID, err)
	}
	return id, nil
}

// insertCase writes a new case row and fills in what the database set
// (seq, version, times); ok is false when a case with the same request id
// already exists (a concurrent retry won the race).
func insertCase(ctx context.Context, tx pgx.Tx, r *caseRow, requestID *string) (bool, error) {
	args := append([]any{r.ID, r.OrgID, r.Reference, int16(r.Status), r.Assigned}, codedArgs(r.Coded)...)
	args = append(args, r.ClassesPresent, requestID)
	err := tx.QueryRow(ctx, `
		INSERT INTO cases (id, organization_id, reference, status, assigned_caseworker,
			sex, age_band, child, nationality, country, identification_year, exploitation_forms,
			identification_status, classes_present, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (organization_id, request_id) DO NOTHING
		RETURNING seq, version, create_time, update_time`, args...).Scan(&r.Seq, &r.Version, &r.CreateTime, &r.UpdateTime)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("insert case %s: %w", r.ID, err)
	}
	return true, nil
}

// putSecrets stores the ciphertexts of several classes in one statement.
func putSecrets(ctx context.Context, tx pgx.Tx, caseID string, cts map[dataclass.Class][]byte) error {
	if len(cts) == 0 {
		return nil
	}
	classes := make([]int16, 0, len(cts))
	blobs := make([][]byte, 0, len(cts))
	for c, ct := range cts {
		classes = append(classes, c.Stored())
		blobs = append(blobs, ct)
	}
	_, err := tx.Exec(ctx, `INSERT INTO case_secrets (case_id, class, ciphertext)
		SELECT $1, c, ct FROM unnest($2::smallint[], $3::bytea[]) AS s(c, ct)
		ON CONFLICT (case_id, class) DO UPDATE SET ciphertext = EXCLUDED.ciphertext`, caseID, classes, blobs)
	if err != nil {
		return fmt.Errorf("store secrets of case %s: %w", caseID, err)
	}
	return nil
}

// saveCase writes the mutable columns of r and bumps its version; the row
// must be locked by the caller's transaction.
func saveCase(ctx context.Context, tx pgx.Tx, r *caseRow, now time.Time) error {
	args := append([]any{r.ID, int16(r.Status), r.Assigned}, codedArgs(r.Coded)...)
	args = append(args, r.ClassesPresent, now, r.CloseTime, r.EraseTime)
	err := tx.QueryRow(ctx, `
		UPDATE cases SET status = $2, assigned_caseworker = $3,
			sex = $4, age_band = $5, child = $6, nationality = $7, country = $8,
			identification_year = $9, exploitation_forms = $10, identification_status = $11,
			classes_present = $12, update_time = $13, close_time = $14, erase_time = $15,
			version = version + 1
		WHERE id = $1
		RETURNING version, update_time`, args...).Scan(&r.Version, &r.UpdateTime)
	if err != nil {
		return fmt.Errorf("save case %s: %w", r.ID, err)
	}
	return nil
}

func deleteSecret(ctx context.Context, tx pgx.Tx, caseID string, class dataclass.Class) error {
	if _, err := tx.Exec(ctx, `DELETE FROM case_secrets WHERE case_id = $1 AND class = $2`, caseID, class.Stored()); err != nil {
		return fmt.Errorf("delete %s of case %s: %w", class, caseID, err)
	}
	return nil
}

// loadSecrets returns the ciphertexts of the given classes of a case.
func loadSecrets(ctx context.Context, q db.Querier, caseID string, classes []int16) (map[dataclass.Class][]byte, error) {
	out := map[dataclass.Class][]byte{}
	if len(classes) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT class, ciphertext FROM case_secrets WHERE case_id = $1 AND class = ANY($2)`, caseID, classes)
	if err != nil {
		return nil, fmt.Errorf("load secrets of case %s: %w", caseID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c int16
		var ct []byte
		if err := rows.Scan(&c, &ct); err != nil {
			return nil, fmt.Errorf("scan secret of case %s: %w", caseID, err)
		}
		out[dataclass.FromStored(c)] = ct
	}
	return out, rows.Err()
}

func errStaleEtag(id string) error {
	return rpcerr.Aborted("case %s was changed by someone else since you read it (stale etag): read it again and retry", id)
}

// listFilter is a ListCases query after validation.
type listFilter struct {
	orgs      []string
	status    int16
	assigned  string
	since     *time.Time
	form      int16
	reference string
	owner     string
	afterSeq  int64
	limit     int
}

// listCasesSQL is a keyset page of the cases $1 may see, filtered, with
// their sharing; built once, as it is asked for on every page.
var listCasesSQL = `
	SELECT ` + caseaccess.SharesColumn("c") + `, ` + caseColumns + ` FROM cases c
	WHERE ` + caseaccess.VisibleSQL("c", "$1") + `
	  AND ($2 = 0 OR c.status = $2)
	  AND ($5 = 0 OR $5 = ANY(c.exploitation_forms))
	  AND ($8 = 0 OR c.seq < $8)
	  AND (($3 = '' AND $4::timestamptz IS NULL AND $6 = '' AND $7 = '') OR (` + caseaccess.WorkedOnSQL("c", "$1") + `
	    AND ($3 = '' OR c.assigned_caseworker = $3)
	    AND ($4::timestamptz IS NULL OR c.update_time >= $4)
	    AND ($6 = '' OR c.reference = $6)
	    AND ($7 = '' OR c.organization_id = $7)))
	ORDER BY c.seq DESC
	LIMIT $9`

// listCases returns up to f.limit visible cases after f.afterSeq, newest
// first, with their sharing (the facts of each decision, in the same round
// trip), and whether more follow.
func listCases(ctx context.Context, q db.Querier, f listFilter) ([]*caseRow, bool, error) {
	rows, err := q.Query(ctx, listCasesSQL,
		f.orgs, f.status, f.assigned, f.since, f.form, f.reference, f.owner, f.afterSeq, f.limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list cases: %w", err)
	}
	defer rows.Close()
	out := make([]*caseRow, 0, f.limit+1)
	var sc caseScanner
	for rows.Next() {
		r, shares, err := sc.scan(rows, true, nil)
		if err != nil {
			return nil, false, fmt.Errorf("scan case: %w", err)
		}
		if r.shares, err = caseaccess.DecodeShares(shares); err != nil {
			return nil, false, fmt.Errorf("scan case %s: %w", r.ID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list cases: %w", err)
	}
	more := len(out) > f.limit
	if more {
		out = out[:f.limit]
	}
	return out, more, nil
}

// consentRow is what RecordConsent stores.
type consentRow struct {
	id, caseID string
	purpose    casebridgev1.ConsentPurpose
	decision   casebridgev1.ConsentDecision
	org        *string
	kind       *int16
	given      time.Time
	expire     *time.Time
	recordedBy string
	texts      []byte
	requestID  *string
}

// insertConsent stores a new, active consent. It reports false, writing
// nothing, when a consent of the case already holds the request id (a
// concurrent attempt made it first).
func insertConsent(ctx context.Context, tx pgx.Tx, c consentRow) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO consents (id, case_id, purpose, decision, organization_id, organization_kind,
			state, given_time, expire_time, recorded_by, texts, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $11)
		ON CONFLICT (case_id, request_id) DO NOTHING`,
		c.id, c.caseID, int16(c.purpose), int16(c.decision), c.org, c.kind,
		c.given, c.expire, c.recordedBy, c.texts, c.requestID)
	if err != nil {
		return false, fmt.Errorf("record consent on case %s: %w", c.caseID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// consentByRequest finds the consent an earlier attempt with requestID
// recorded on case caseID: its id and case, "" when there is none.
func consentByRequest(ctx context.Context, q db.Querier, caseID, requestID string) (id, ofCase string, err error) {
	return byRequest(ctx, q, `SELECT id, case_id FROM consents WHERE case_id = $1 AND request_id = $2`, caseID, requestID)
}

// insertNote stores a sealed note. It reports false, writing nothing, when
// a note of the case already holds the request id.
func insertNote(ctx context.Context, tx pgx.Tx, id, caseID string, class dataclass.Class, ct []byte, author string, requestID *string) (created time.Time, inserted bool, err error) {
	err = tx.QueryRow(ctx, `INSERT INTO case_notes (id, case_id, class, ciphertext, author, request_id)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (case_id, request_id) DO NOTHING RETURNING create_time`,
		id, caseID, class.Stored(), ct, author, requestID).Scan(&created)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store note of case %s: %w", caseID, err)
	}
	return created, true, nil
}

// noteByRequest finds the note an earlier attempt with requestID added to
// case caseID: its id and case, "" when there is none.
func noteByRequest(ctx context.Context, q db.Querier, caseID, requestID string) (id, ofCase string, err error) {
	return byRequest(ctx, q, `SELECT id, case_id FROM case_notes WHERE case_id = $1 AND request_id = $2`, caseID, requestID)
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

// holdsRole reports whether subject is a member of org holding one of roles.
func holdsRole(ctx context.Context, q db.Querier, org, subject string, roles []string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM memberships
		WHERE organization_id = $1 AND subject = $2 AND roles && $3::text[])`,
		org, subject, roles).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up member %s: %w", subject, err)
	}
	return ok, nil
}
