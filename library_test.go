package iterbench_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/iterbench/iterbench/internal/summary"
)

// TestYourModule does what a team adopting iterbench does: a module of its
// own, outside this repository (a replace points at this checkout), with
// its own model (a UUID key stored as text, documents of different sizes),
// its calculation, TestMain and a benchmark calling Bench, run with
// go test -bench on SQLite. Every strategy must report its peak RSS, every
// row must be verified, and REPORT.md must recommend one.
func TestYourModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module of its own")
	}
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module example.com/events\n\ngo 1.26.8\n\nrequire github.com/iterbench/iterbench v0.0.0\n\nreplace github.com/iterbench/iterbench => " + root + "\n"
	src, err := os.ReadFile("testdata/yourmodule/events_test.go.txt")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "events_test.go": src} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "results")
	cmd := exec.CommandContext(t.Context(), "go", "test", "-run", "^$", "-bench", ".", "-benchtime", "1x")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "ITERBENCH_TEST_OUT="+out)
	b, err := cmd.CombinedOutput()
	text := string(b)
	if err != nil {
		t.Fatalf("go test -bench in the user's module: %v\n%s", err, text)
	}
	line := regexp.MustCompile(`(?m)^BenchmarkBackfill/strategy=([a-z-]+)-\d+\s+1\s+\d+ ns/op\s+(\d+) peak-RSS-bytes\s+\d+ rows/s$`)
	got := map[string]bool{}
	for _, m := range line.FindAllStringSubmatch(text, -1) {
		got[m[1]] = m[2] != "0"
	}
	// The job gives no SQL, so the in-database strategies do not run; on
	// SQLite there is no server cursor.
	for _, s := range []string{"load-all", "cursor", "cursor-bulk", "paging", "paging-bulk", "keyset", "keyset-bulk", "parallel-keyset"} {
		if !got[s] {
			t.Errorf("no line with a peak RSS for strategy=%s", s)
		}
	}
	for _, s := range []string{"set-based", "set-based-once", "server-cursor"} {
		if _, ok := got[s]; ok {
			t.Errorf("strategy=%s ran, but it cannot run this job here", s)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", text)
	}
	s, _, err := summary.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Runs {
		if r.Status != summary.StatusOK || r.WrongRows != 0 || r.RowsVerified != 3000 {
			t.Errorf("%s: status %s, %d of %d rows wrong: %s", r.Strategy, r.Status, r.WrongRows, r.RowsVerified, r.Error)
		}
	}
	report, err := os.ReadFile(filepath.Join(out, "REPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^- Use \*\*[a-z-]+\*\*`).Match(report) {
		t.Errorf("REPORT.md recommends no strategy:\n%s", report[:min(len(report), 1500)])
	}
	if !strings.Contains(string(report), "events") {
		t.Errorf("REPORT.md does not name the job")
	}
	if j := s.Config.Job; j == nil || j.Name != "events" || j.Copy != "iterbench_copy_events" || strings.Join(j.Key, ",") != "id" {
		t.Errorf("summary.json records the job as %+v", j)
	}
}
