package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iterbench/iterbench/internal/strategies"
	"github.com/iterbench/iterbench/internal/summary"
)

func TestRunEndToEnd(t *testing.T) {
	out := filepath.Join(t.TempDir(), "results")
	code, stdout, stderr := runCLI(context.Background(), "run", "--rows", "3000", "--repeats", "2", "--out", out)
	if code != exitOK {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr is not a terminal, so nothing belongs there; got %q", stderr)
	}
	if !strings.Contains(stdout, "paging-bulk") || !strings.Contains(stdout, out) {
		t.Errorf("stdout lacks the table or the folder:\n%s", stdout)
	}
	s, samples, err := summary.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Unsupported) != 1 || s.Unsupported[0] != "server-cursor" {
		t.Errorf("unsupported on SQLite: %v, want [server-cursor]", s.Unsupported)
	}
	if want := 2 * (len(strategies.All()) - 1); !s.Complete || len(s.Runs) != want || len(samples) == 0 {
		t.Fatalf("complete %v, %d runs, %d samples", s.Complete, len(s.Runs), len(samples))
	}
	for _, r := range s.Runs {
		if r.Status != summary.StatusOK || r.WrongRows != 0 || r.RowsVerified != 3000 || r.Rows != 3000 {
			t.Errorf("%s repeat %d: %s, %d rows done, %d of %d wrong: %s", r.Strategy, r.Repeat, r.Status, r.Rows, r.WrongRows, r.RowsVerified, r.Error)
		}
	}
	// Each strategy's roles are recorded, so that the report reads the same
	// whatever the registry holds later.
	if r := s.RolesOf("keyset-bulk"); !r.Resumable || r.BulkOf != "keyset" || r.Paging != summary.PagingKeyset {
		t.Errorf("keyset-bulk's recorded roles: %+v", r)
	}
	if r := s.RolesOf("set-based"); !r.InDatabase {
		t.Errorf("set-based's recorded roles: %+v", r)
	}
	for _, f := range []string{"bench.txt", "REPORT.md", "rss-over-time.png", "rss-over-time-bounded.svg", "peak-rss.png", "duration.svg",
		"probe.csv", "probe-p99.png", "probe-p99-over-time.svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	os.Remove(filepath.Join(out, "duration.png"))
	if code, _, stderr := runCLI(context.Background(), "plot", out); code != exitOK {
		t.Fatalf("plot: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "duration.png")); err != nil {
		t.Error("plot did not redraw duration.png")
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// TestInterruptWritesIncompleteResults stops a run (as Ctrl-C does) once
// its strategy has made progress: the rows it has written.
func TestInterruptWritesIncompleteResults(t *testing.T) {
	dir := t.TempDir()
	out, file := filepath.Join(dir, "results"), filepath.Join(dir, "run.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Read-only, so that the watcher never sets the journal mode or
		// creates the file under the run (which then found it locked); until
		// the run has created the table, the query fails and is tried again.
		db, err := sql.Open("sqlite3", "file:"+file+"?mode=ro&_busy_timeout=5000")
		if err != nil {
			return
		}
		defer db.Close()
		for ctx.Err() == nil {
			var n int64
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM iterbench_items WHERE score > 0").Scan(&n); err == nil && n > 0 {
				cancel()
				return
			}
			time.Sleep(20 * time.Millisecond) // polling for the event, not waiting for a guess
		}
	}()
	start := time.Now()
	code, _, stderr := runCLI(ctx, "run", "--dsn", file, "--rows", "50000", "--repeats", "1", "--strategies", "cursor", "--out", out)
	if code != exitInterrupted {
		t.Fatalf("exit code %d, want %d: %s", code, exitInterrupted, stderr)
	}
	if !strings.Contains(stderr, "incomplete results written") {
		t.Errorf("stderr %q", stderr)
	}
	s, _, err := summary.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if s.Complete {
		t.Error("summary says complete")
	}
	// The run that was stopped is recorded, with the rows it had reported
	// (none, if the stop came before its first report).
	if len(s.Runs) != 1 {
		t.Fatalf("%d runs recorded, want the stopped one", len(s.Runs))
	}
	if r := s.Runs[0]; r.Strategy != "cursor" || r.Status != summary.StatusInterrupted || r.Rows >= 50000 {
		t.Errorf("run %s has status %s, %d rows done of 50000", r.Strategy, r.Status, r.Rows)
	}
	t.Logf("stopped after %v", time.Since(start))
}

func TestSweepEndToEnd(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sweep")
	code, stdout, stderr := runCLI(context.Background(), "sweep", "--rows", "500,2000", "--strategies", "load-all,paging-bulk,keyset-bulk",
		"--timeout", "2m", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"REPORT.md", "peak-rss-vs-rows.png", "time-vs-rows.svg", "rows-500/summary.json", "rows-2000/REPORT.md"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "REPORT.md"))
	for _, want := range []string{"| strategy | 500 | 2,000 |", "## Recommendation", "For sqlite at 2,000 rows"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("sweep report lacks %q:\n%s", want, md)
		}
	}
	if !strings.Contains(stdout, "sweep report in") {
		t.Errorf("stdout %q", stdout)
	}
	os.Remove(filepath.Join(out, "time-vs-rows.png"))
	if code, _, stderr := runCLI(context.Background(), "plot", out); code != exitOK {
		t.Fatalf("plot of a sweep: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "time-vs-rows.png")); err != nil {
		t.Error("plot did not redraw the sweep chart")
	}
}

func TestRSSLimitRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "limited")
	// 40 MiB: load-all holds 20,000 documents of 2 KiB (over 40 MB) and is
	// killed, which is a measurement, not a failure; keyset-bulk holds one
	// batch and fits.
	code, stdout, stderr := runCLI(context.Background(), "run", "--rows", "20000", "--payload", "2048", "--repeats", "1",
		"--strategies", "load-all,keyset-bulk", "--rss-limit", "40MiB", "--gomemlimit", "auto", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "0/1 killed") {
		t.Errorf("stdout does not show the kill:\n%s", stdout)
	}
	s, _, err := summary.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"load-all": summary.StatusKilled, "keyset-bulk": summary.StatusOK}
	for _, r := range s.Runs {
		if r.Status != want[r.Strategy] {
			t.Errorf("%s: %s, want %s: %s", r.Strategy, r.Status, want[r.Strategy], r.Error)
		}
		// auto under --rss-limit: 90 % of it.
		if limit := float64(40 << 20); r.GoMemLimitBytes != uint64(0.9*limit) {
			t.Errorf("%s ran with GOMEMLIMIT %d, want 90 %% of 40 MiB", r.Strategy, r.GoMemLimitBytes)
		}
	}
	if s.Config.RSSLimitBytes != 40<<20 || s.Config.LimitEnforcedBy != summary.EnforcedBySampler || s.Config.MemoryLimitBytes != 0 {
		t.Errorf("limit recorded as %d bytes (memory limit %d), enforced by %q", s.Config.RSSLimitBytes, s.Config.MemoryLimitBytes, s.Config.LimitEnforcedBy)
	}
}
