package sealed

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
)

// Value is one stored ciphertext of a case and where it lives.
type Value struct {
	Column     *vault.Column
	ID         string // the row, as text (for case_secrets, the class number)
	Class      dataclass.Class
	Ciphertext []byte
}

// statements is the SQL of one column, built once from the registry's
// identifiers (never from input).
type statements struct {
	load, store, clear string
}

var sqlOf = func() map[*vault.Column]statements {
	m := map[*vault.Column]statements{}
	for _, c := range vault.Columns() {
		table := pgx.Identifier{c.Table()}.Sanitize()
		id := pgx.Identifier{c.IDColumn()}.Sanitize()
		value := pgx.Identifier{c.Value()}.Sanitize()
		class := "0::smallint"
		if c.ClassColumn() != "" {
			class = pgx.Identifier{c.ClassColumn()}.Sanitize()
		}
		s := statements{
			load: fmt.Sprintf(`SELECT %s::text, %s, %s FROM %s WHERE case_id = $1 AND %s IS NOT NULL ORDER BY 1`,
				id, class, value, table, value),
			store: fmt.Sprintf(`UPDATE %s SET %s = $3 WHERE case_id = $1 AND %s::text = $2`, table, value, id),
			clear: fmt.Sprintf(`DELETE FROM %s WHERE case_id = $1`, table),
		}
		m[c] = s
	}
	return m
}()

// Load returns every sealed value of the case, in registry order. The rows
// are read whole before any is rewritten: a transaction cannot update while
// a result set is still open on its connection.
func Load(ctx context.Context, q db.Querier, caseID string) ([]Value, error) {
	var out []Value
	for _, c := range vault.Columns() {
		rows, err := q.Query(ctx, sqlOf[c].load, caseID)
		if err != nil {
			return nil, fmt.Errorf("load %s of case %s: %w", c, caseID, err)
		}
		vs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Value, error) {
			v := Value{Column: c, Class: c.Class()}
			var class int16
			if err := row.Scan(&v.ID, &class, &v.Ciphertext); err != nil {
				return v, err
			}
			if v.Class == "" {
				v.Class = dataclass.FromStored(class)
			}
			return v, nil
		})
		if err != nil {
			return nil, fmt.Errorf("load %s of case %s: %w", c, caseID, err)
		}
		out = append(out, vs...)
	}
	return out, nil
}

// Store writes v's ciphertext back into its row.
func Store(ctx context.Context, q db.Querier, caseID string, v Value) error {
	tag, err := q.Exec(ctx, sqlOf[v.Column].store, caseID, v.ID, v.Ciphertext)
	if err != nil {
		return fmt.Errorf("store %s of case %s: %w", v.Column, caseID, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("store %s of case %s: row %s is gone", v.Column, caseID, v.ID)
	}
	return nil
}

// Clear deletes, for erasure, the rows that exist only to hold a sealed
// value of the case (its classes and notes). The other sealed values stay
// where they are as ciphertext that no key can open once the case key is
// shredded: reads then report them redacted, and rows that carry figures
// (a payment, a hearing) keep them.
func Clear(ctx context.Context, q db.Querier, caseID string) error {
	for _, c := range vault.Columns() {
		if !c.WholeRow() {
			continue
		}
		if _, err := q.Exec(ctx, sqlOf[c].clear, caseID); err != nil {
			return fmt.Errorf("clear %s of case %s: %w", c, caseID, err)
		}
	}
	return nil
}
