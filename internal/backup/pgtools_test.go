package backup

import (
	"strings"
	"testing"
)

// TestConnForKeepsThePasswordOffTheCommandLine: the client programs get
// the URL without its password (it goes to PGPASSWORD) and without the
// pool settings libpq rejects.
func TestConnForKeepsThePasswordOffTheCommandLine(t *testing.T) {
	c, err := ConnFor("postgres://owner:s3cret@db.example.org:5432/casebridge?sslmode=verify-full&pool_max_conns=4")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.url, "s3cret") || strings.Contains(c.url, "pool_") || c.password != "s3cret" ||
		!strings.Contains(c.url, "sslmode=verify-full") || c.Database() != "casebridge" {
		t.Fatalf("ConnFor = %q (password %q)", c.url, c.password)
	}
	if u := connURL("postgres://owner:s3cret@db/casebridge?pool_max_conns=4&sslmode=require"); strings.Contains(u, "pool_") || !strings.Contains(u, "s3cret") {
		t.Fatalf("connURL = %q", u)
	}
	if _, err := ConnFor("postgres://owner:s3cret@[bad"); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("a bad URL: %v", err)
	}
}
