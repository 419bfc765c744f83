package apptest

import (
	"os"
	"path/filepath"
	"sync"
)

var (
	rootOnce sync.Once
	root     string
)

// Fixture returns the path of a file of the repository, rel being its path
// from the module root (the folder of go.mod): tests run in their own
// package's folder, which differs from slice to slice. When no go.mod is
// found above the working directory it returns rel, and opening it fails
// with a clear error.
func Fixture(rel string) string {
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				root = dir
				return
			}
			up := filepath.Dir(dir)
			if up == dir {
				return
			}
			dir = up
		}
	})
	if root == "" {
		return rel
	}
	return filepath.Join(root, rel)
}
