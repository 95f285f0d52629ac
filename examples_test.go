package iterbench_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
)

// TestExamples runs each module of examples/ — its tests and its benchmark,
// with every strategy it can run — on SQLite, and on PostgreSQL and MariaDB
// in containers, at 2,000 rows and one pass each: every pass must finish
// with every row verified.
func TestExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the example modules")
	}
	dirs, err := filepath.Glob("examples/*/go.mod")
	if err != nil || len(dirs) < 2 {
		t.Fatalf("examples: %v, %v", dirs, err)
	}
	dsns := map[database.Kind]func(t *testing.T) string{
		database.SQLite: func(*testing.T) string { return "" },
	}
	for _, k := range []database.Kind{database.Postgres, database.MariaDB} {
		dsns[k] = func(t *testing.T) string { return containertest.Start(t, k).DSN }
	}
	for _, mod := range dirs {
		dir := filepath.Dir(mod)
		t.Run("example="+filepath.Base(dir), func(t *testing.T) {
			for _, kind := range database.Kinds() {
				t.Run("db="+string(kind), func(t *testing.T) {
					cmd := exec.CommandContext(t.Context(), "go", "test", "-count=1", "-bench", ".", "-benchtime", "1x", "./...")
					cmd.Dir = dir
					cmd.Env = append(os.Environ(), "ITERBENCH_EXAMPLE_ROWS=2000", "ITERBENCH_EXAMPLE_REPEATS=1",
						"ITERBENCH_EXAMPLE_OUT=", "ITERBENCH_EXAMPLE_DSN="+dsns[kind](t))
					out, err := cmd.CombinedOutput()
					if err != nil {
						t.Fatalf("go test -bench in %s: %v\n%s", dir, err, out)
					}
					lines := regexp.MustCompile(`(?m)^BenchmarkBackfill/strategy=([a-z-]+)-\d+\s+1\s+\d+ ns/op\s+[1-9]\d* peak-RSS-bytes\s+[1-9]\d* rows/s$`).
						FindAllStringSubmatch(string(out), -1)
					var ran []string
					for _, l := range lines {
						ran = append(ran, l[1])
					}
					want := 8 // the client-side strategies; SQL and server cursors add more
					if len(ran) < want || !strings.Contains(strings.Join(ran, ","), "keyset-bulk") {
						t.Errorf("%d strategies reported (%s), want at least %d with keyset-bulk:\n%s", len(ran), strings.Join(ran, ", "), want, out)
					}
				})
			}
		})
	}
}
