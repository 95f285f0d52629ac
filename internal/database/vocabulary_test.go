package database

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestOneVocabulary: outside this package, no code compares a database's
// name as a string ("mysql" for MariaDB was GORM's word, "mariadb" ours):
// it compares Kinds (KindOf, ParseKind).
func TestOneVocabulary(t *testing.T) {
	compare := regexp.MustCompile(`(==|!=)\s*"(mysql|mariadb|postgres|sqlite)"|"(mysql|mariadb|postgres|sqlite)"\s*(==|!=)|case\s+"(mysql|mariadb|postgres|sqlite)"`)
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "database" || d.Name() == "testdata" || d.Name() == "results" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if compare.MatchString(line) {
				t.Errorf("%s:%d compares a database's name as a string: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
