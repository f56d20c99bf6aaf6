// Package recovery reads a case out of a Casebridge database without the
// server: given the database (a restored dump) and a keyring directory,
// it exports one case's decrypted data for a court order or a person's
// subject-access request, and records in that database's audit log what
// it exported and why — never the data itself.
package recovery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/vault"
)

// Reason is why a case is exported, a code: the audit event names it.
type Reason string

// The reasons an export may be made for.
const (
	// ReasonCourtOrder: a court ordered the case's data to be produced.
	ReasonCourtOrder Reason = "court_order"
	// ReasonSubjectAccess: the person asked for the data held about them.
	ReasonSubjectAccess Reason = "subject_access"
)

// ParseReason accepts a reason code, with '-' for '_'.
func ParseReason(s string) (Reason, error) {
	for _, r := range []Reason{ReasonCourtOrder, ReasonSubjectAccess} {
		if s == string(r) || s == dashed(r) {
			return r, nil
		}
	}
	return "", fmt.Errorf("reason %q is not one of %s, %s", s, dashed(ReasonCourtOrder), dashed(ReasonSubjectAccess))
}

func dashed(r Reason) string {
	b := []byte(r)
	for i, c := range b {
		if c == '_' {
			b[i] = '-'
		}
	}
	return string(b)
}

// Format names the layout of an export document.
const Format = "casebridge-case-export/v1"

// Request says which case to export, why, and who asks.
type Request struct {
	// Case is the case's id, or its reference (SHA-2026-0042) with Org.
	Case string
	// Org is the owning organisation, needed with a reference.
	Org string
	// Reason is the coded reason.
	Reason Reason
	// Operator names who runs the export (their e-mail address or user
	// name); it is the subject of the audit event.
	Operator string
}

// Document is one exported case.
type Document struct {
	Format     string    `json:"format"`
	ExportedAt time.Time `json:"exported_at"`
	Reason     Reason    `json:"reason"`
	Operator   string    `json:"operator"`
	// Case is the case's row: its coded attributes, status and times.
	Case map[string]any `json:"case"`
	// Classes are the sensitive classes of the case record, opened.
	Classes map[string]json.RawMessage `json:"classes"`
	// Records are the case's other rows that hold sealed values, by table:
	// each row's plain columns, and each sealed column opened under its
	// own name.
	Records map[string][]map[string]any `json:"records"`
	// ExportedClasses are the data classes the document holds.
	ExportedClasses []string `json:"exported_classes"`
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ErrErased is returned for an erased case: its key is shredded and
// nothing of it can be opened.
var ErrErased = errors.New("the case is erased: its key is destroyed and nothing of it can be opened")

// Export opens every sealed value of one case with the keyring, records
// the export in the database's audit log (in one transaction, before the
// document is handed out, naming the case, the classes and the reason),
// and returns the document. Nothing is returned when the audit event could
// not be recorded.
func Export(ctx context.Context, pool *pgxpool.Pool, keyring *vault.Keyring, req Request) (*Document, error) {
	if req.Operator == "" {
		return nil, errors.New("the operator is required: the audit log names who exported the case")
	}
	if _, err := ParseReason(string(req.Reason)); err != nil {
		return nil, err
	}
	caseID, err := resolve(ctx, pool, req.Case, req.Org)
	if err != nil {
		return nil, err
	}
	doc := &Document{Format: Format, ExportedAt: time.Now().UTC().Truncate(time.Second), Reason: req.Reason, Operator: req.Operator,
		Classes: map[string]json.RawMessage{}, Records: map[string][]map[string]any{}}
	if doc.Case, err = rowJSON(ctx, pool, `SELECT to_jsonb(c) FROM cases c WHERE id = $1`, caseID); err != nil {
		return nil, err
	}
	if doc.Case["erase_time"] != nil {
		return nil, ErrErased
	}
	owner, _ := doc.Case["organization_id"].(string)

	km := keys.NewManager(pool, keyring, nil, slog.New(slog.DiscardHandler))
	defer km.Close()
	values, err := sealed.Load(ctx, pool, caseID)
	if err != nil {
		return nil, err
	}
	var key *vault.CaseKey
	if len(values) > 0 {
		if key, err = km.CaseKey(ctx, pool, caseID); err != nil {
			return nil, fmt.Errorf("the keyring opens no key of case %s (restore the keyring backup taken with this dump): %w", caseID, err)
		}
		defer key.Wipe()
	}
	opened := map[*vault.Column]map[string]json.RawMessage{}
	var classes []string
	for _, v := range values {
		plain, err := v.Column.Open(key, caseID, v.ID, v.Class, v.Ciphertext)
		if err != nil {
			return nil, fmt.Errorf("open %s row %s: %w", v.Column, v.ID, err)
		}
		j, err := sealed.Decode(v.Column, v.Class, plain)
		clear(plain)
		if err != nil {
			return nil, err
		}
		if v.Column == vault.CaseSecrets {
			doc.Classes[string(v.Class)] = j
		} else {
			if opened[v.Column] == nil {
				opened[v.Column] = map[string]json.RawMessage{}
			}
			opened[v.Column][v.ID] = j
		}
		if !slices.Contains(classes, string(v.Class)) {
			classes = append(classes, string(v.Class))
		}
	}
	if err := records(ctx, pool, caseID, opened, doc); err != nil {
		return nil, err
	}
	slices.Sort(classes)
	doc.ExportedClasses = classes
	if doc.ExportedClasses == nil {
		doc.ExportedClasses = []string{}
	}

	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		return audit.Command(ctx, tx, audit.Event{Subject: req.Operator, OrgID: owner, Method: audit.MethodRecoverExport, CaseID: caseID, Classes: classes},
			audit.Pair{Name: audit.DetailReason, Value: string(req.Reason)})
	})
	if err != nil {
		return nil, fmt.Errorf("record the export in the audit log (nothing was exported): %w", err)
	}
	return doc, nil
}

// resolve returns the case id named by an id or by a reference of org.
func resolve(ctx context.Context, pool *pgxpool.Pool, ref, org string) (string, error) {
	if ref == "" {
		return "", errors.New("the case is required (its id, or its reference with the organisation)")
	}
	if uuidPattern.MatchString(ref) {
		var id string
		err := pool.QueryRow(ctx, `SELECT id::text FROM cases WHERE id = $1`, ref).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", fmt.Errorf("no case %s in this database", ref)
		}
		return id, err
	}
	rows, err := pool.Query(ctx, `SELECT id::text FROM cases WHERE reference = $1 AND ($2 = '' OR organization_id = $2)`, ref, org)
	if err != nil {
		return "", err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("no case with reference %s in this database", ref)
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("%d organisations have a case %s: name the owner with the organisation", len(ids), ref)
}

func rowJSON(ctx context.Context, q *pgxpool.Pool, sql string, args ...any) (map[string]any, error) {
	var m map[string]any
	if err := q.QueryRow(ctx, sql, args...).Scan(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// records adds the rows of every registered table but case_secrets (its
// values are the classes), with their sealed columns replaced by what
// they opened to (null where a row holds none).
func records(ctx context.Context, pool *pgxpool.Pool, caseID string, opened map[*vault.Column]map[string]json.RawMessage, doc *Document) error {
	byTable := map[string][]*vault.Column{}
	var tables []string
	for _, c := range vault.Columns() {
		if c == vault.CaseSecrets {
			continue
		}
		if byTable[c.Table()] == nil {
			tables = append(tables, c.Table())
		}
		byTable[c.Table()] = append(byTable[c.Table()], c)
	}
	for _, table := range tables {
		cols := byTable[table]
		idCol := cols[0].IDColumn()
		sql := fmt.Sprintf(`SELECT to_jsonb(t) FROM %s t WHERE case_id = $1 ORDER BY %s`,
			pgx.Identifier{table}.Sanitize(), pgx.Identifier{idCol}.Sanitize())
		rows, err := pool.Query(ctx, sql, caseID)
		if err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		list, err := pgx.CollectRows(rows, pgx.RowTo[map[string]any])
		if err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		for _, row := range list {
			id := fmt.Sprint(row[idCol])
			for _, c := range cols {
				if v, ok := opened[c][id]; ok {
					row[c.Value()] = v
				} else {
					row[c.Value()] = nil
				}
			}
		}
		if len(list) > 0 {
			doc.Records[table] = list
		}
	}
	return nil
}
