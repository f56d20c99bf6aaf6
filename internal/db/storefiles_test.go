package db_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// notYetInStores are the service files that still hold SQL outside a store
// file; remove an entry once its SQL has moved.
var notYetInStores = map[string]bool{
	"services/cases/importer.go": true,
}

// notYetInStoresDirs are service packages whose SQL is not yet in store
// files at all.
var notYetInStoresDirs = []string{"services/stats/"}

// runsSQL are the methods of a Querier (and of a batch's results) that
// send a statement.
var runsSQL = map[string]bool{"Query": true, "QueryRow": true, "Exec": true, "SendBatch": true, "CopyFrom": true}

// sqlText is a string literal that starts a statement.
var sqlText = regexp.MustCompile("^[`\"]\\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH)\\s")

// TestServiceSQLIsInStoreFiles: a service's handlers call its store; only
// its store files (store.go, <area>_store.go) run or spell SQL.
func TestServiceSQLIsInStoreFiles(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(filepath.Join(root, "services"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			strings.HasSuffix(path, "store.go") {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if notYetInStores[rel] || slices.ContainsFunc(notYetInStoresDirs, func(dir string) bool { return strings.HasPrefix(rel, dir) }) {
			return nil
		}
		for _, where := range sqlIn(t, path) {
			t.Errorf("%s:%s SQL outside a store file: move it into one of the package's store files", rel, where)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sqlIn lists the lines of the Go file at path that run a statement or
// spell one.
func sqlIn(t *testing.T, path string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && runsSQL[sel.Sel.Name] {
				out = append(out, fmt.Sprintf("%d: %s", fset.Position(n.Pos()).Line, sel.Sel.Name))
			}
		case *ast.BasicLit:
			if n.Kind == token.STRING && sqlText.MatchString(n.Value) {
				out = append(out, fmt.Sprintf("%d: statement text", fset.Position(n.Pos()).Line))
			}
		}
		return true
	})
	return out
}
