package sealed_test

import (
	"context"
	"testing"

	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/testdb"
)

// The migration that turned stored source names into digests used SQL; a
// re-run after it must find the same digest, or it would import twice.
func TestImportSourceKeyMatchesTheMigration(t *testing.T) {
	pool := testdb.New(t)
	for _, source := range []string{"historic-2019", "Ана Петрова.csv", ""} {
		var got string
		if err := pool.QueryRow(context.Background(),
			`SELECT 'sha256:' || encode(sha256(convert_to($1 || E'\n' || $2, 'UTF8')), 'hex')`, "shelter-a", source).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := sealed.ImportSourceKey("shelter-a", source); got != want {
			t.Errorf("source %q: SQL %s, Go %s", source, got, want)
		}
	}
}
