package sealed_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/testdb"
	"github.com/casebridge/casebridge/internal/vault"
)

// TestEveryByteaColumnIsRegistered reads the migrated schema from
// PostgreSQL: every bytea column is either a registered sealed column or
// allow-listed as holding no sealed value, and every registered column
// exists as bytea in a table with the case and row columns the registry
// names.
func TestEveryByteaColumnIsRegistered(t *testing.T) {
	pool := testdb.New(t)
	ctx := t.Context()
	type col struct{ table, column, typ string }
	rows, err := pool.Query(ctx, `SELECT table_name::text, column_name::text, data_type::text
		FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (col, error) {
		var c col
		err := r.Scan(&c.table, &c.column, &c.typ)
		return c, err
	})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	byteas := 0
	for _, c := range all {
		name := c.table + "." + c.column
		types[name] = c.typ
		if c.typ != "bytea" {
			continue
		}
		byteas++
		_, allowed := sealed.NotSealed[name]
		registered := vault.LookupColumn(c.table, c.column) != nil
		switch {
		case allowed && registered:
			t.Errorf("%s is both registered as sealed and allow-listed as not sealed", name)
		case !allowed && !registered:
			t.Errorf("bytea column %s is neither in the sealed-column registry (vault.Columns) nor in sealed.NotSealed", name)
		}
	}
	if byteas == 0 {
		t.Fatal("the schema query found no bytea column at all")
	}
	for name := range sealed.NotSealed {
		if types[name] != "bytea" {
			t.Errorf("allow-listed %s is not a bytea column of the schema (type %q)", name, types[name])
		}
	}
	for _, c := range vault.Columns() {
		if got := types[c.String()]; got != "bytea" {
			t.Errorf("registered %s is not a bytea column of the schema (type %q)", c, got)
		}
		for _, need := range []string{"case_id", c.IDColumn(), c.ClassColumn()} {
			if need != "" && types[c.Table()+"."+need] == "" {
				t.Errorf("registered %s: table has no column %s", c, need)
			}
		}
	}
}
