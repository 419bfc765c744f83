package app_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOnlyTestsImportAppTest fails when a Go file that is not a test (nor
// apptest itself) imports backend/app/apptest: the harness starts nodes on
// test databases and is never part of the binary.
func TestOnlyTestsImportAppTest(t *testing.T) {
	const harness = "github.com/livemall/livemall/backend/app/apptest"
	root := filepath.Join("..", "..")
	importers := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "node_modules" || strings.HasPrefix(n, ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || filepath.Dir(path) == filepath.Join(root, "backend", "app", "apptest") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == harness {
				if !strings.HasSuffix(path, "_test.go") {
					rel, _ := filepath.Rel(root, path)
					t.Errorf("%s imports apptest, but it is not a test", rel)
				}
				importers++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if importers == 0 {
		t.Fatal("no test imports apptest: is the walk looking in the right place?")
	}
}
