package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"iterbench/database"
	"iterbench/strategies"
	"iterbench/summary"
	"iterbench/worker/workertest"
)

// TestMain builds the worker binary the runs use. Started with
// $ITERBENCH_TEST_PARENT set, the test binary instead plays an iterbench
// process that starts a PostgreSQL container and waits to be killed.
func TestMain(m *testing.M) {
	if os.Getenv(parentEnv) != "" {
		os.Exit(playParent())
	}
	os.Exit(workertest.Main(m))
}

func runCLI(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Main(ctx, args, &o, &e)
	return code, o.String(), e.String()
}

func TestBadInput(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "a-file")
	os.WriteFile(file, []byte("x"), 0o644)
	existing := filepath.Join(tmp, "existing")
	os.Mkdir(existing, 0o755)
	os.WriteFile(filepath.Join(existing, "keep.txt"), []byte("keep"), 0o644)

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "no command"},
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"rows zero", []string{"run", "--rows", "0"}, "--rows must be positive"},
		{"rows negative", []string{"run", "--rows", "-5"}, "--rows must be positive"},
		{"batch zero", []string{"run", "--batch", "0"}, "--batch must be positive"},
		{"repeats zero", []string{"run", "--repeats", "0"}, "--repeats must be positive"},
		{"interval zero", []string{"run", "--interval", "0s"}, "--interval must be positive"},
		{"unknown strategy", []string{"run", "--strategies", "paging,warp-drive"}, `unknown strategy "warp-drive"`},
		{"unknown db", []string{"run", "--db", "oracle"}, `unknown database "oracle"`},
		{"unknown flag", []string{"run", "--frobs", "3"}, "flag provided but not defined"},
		{"not a number", []string{"run", "--rows", "many"}, "invalid value"},
		{"stray argument", []string{"run", "extra"}, "unexpected argument"},
		{"unknown bulk form", []string{"run", "--bulk-form", "teleport"}, `bulk form "teleport"`},
		{"bad rss limit", []string{"run", "--rss-limit", "lots"}, `--rss-limit "lots" is not a size`},
		{"bad memory limit", []string{"run", "--memory-limit", "12 parsecs"}, `--memory-limit "12 parsecs" is not a size`},
		{"both limits", []string{"run", "--memory-limit", "128MiB", "--rss-limit", "128MiB"}, "not both"},
		{"gomemlimit auto without a limit", []string{"run", "--gomemlimit", "auto"}, "give --memory-limit or --rss-limit"},
		{"bad gomemlimit", []string{"run", "--gomemlimit", "lots"}, `--gomemlimit "lots" is neither off, auto nor a size`},
		{"rss limit below the baseline", []string{"run", "--rss-limit", "1MiB", "--rows", "500"}, "a worker that only connects has an RSS of"},
		{"a petabyte", []string{"run", "--rows", "1000000000000"}, "a table of 1,000,000,000,000 rows with 1,024-byte documents needs about"},
		{"a petabyte in a sweep", []string{"sweep", "--rows", "1000,1000000000000"}, "needs about"},
		{"payload beyond sqlite", []string{"run", "--rows", "2", "--payload", "1500000000"}, "is more than sqlite takes in one value"},
		{"negative timeout", []string{"run", "--timeout", "-1s"}, "--timeout must not be negative"},
		{"workers zero", []string{"run", "--workers", "0"}, "--workers must be positive"},
		{"sweep bad rows", []string{"sweep", "--rows", "1000,x"}, `"x" is not a positive number`},
		{"sweep zero rows", []string{"sweep", "--rows", "0"}, `"0" is not a positive number`},
		{"db and dsn disagree", []string{"run", "--db", "postgres", "--dsn", filepath.Join(tmp, "x.db")}, "does not match"},
		{"unwritable out", []string{"run", "--out", filepath.Join(file, "sub")}, "is not a folder"},
		{"sqlite dsn cannot open", []string{"run", "--dsn", filepath.Join(tmp, "no", "such", "dir", "x.db")}, "connect to sqlite"},
		{"postgres dsn cannot connect", []string{"run", "--dsn", "postgres://bob:s3cr3tpw@127.0.0.1:1/db?connect_timeout=2"}, "connect to postgres"},
		{"mysql dsn cannot connect", []string{"run", "--dsn", "mysql://bob:s3cr3tpw@127.0.0.1:1/db"}, "connect to mariadb"},
		{"password query parameter cannot connect", []string{"run", "--dsn", "postgres://bob@127.0.0.1:1/db?password=s3cr3tpw&connect_timeout=2"}, "connect to postgres"},
		{"libpq keywords cannot connect", []string{"run", "--dsn", "host=127.0.0.1 port=1 user=bob password=s3cr3tpw dbname=db connect_timeout=2"}, "connect to postgres"},
		{"go-sql-driver dsn cannot connect", []string{"run", "--dsn", "bob:s3cr3tpw@tcp(127.0.0.1:1)/db"}, "connect to mariadb"},
		{"unknown dsn scheme", []string{"run", "--dsn", "sqlserver://sa:s3cr3tpw@db/app"}, "not sqlserver://"},
		{"seed needs a file", []string{"seed"}, "needs --dsn"},
		{"plot without folder", []string{"plot"}, "needs one results folder"},
		{"plot of empty folder", []string{"plot", tmp}, "summary.json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(tmp, "out-"+strings.ReplaceAll(c.name, " ", "-"))
			args := c.args
			if len(args) > 0 && (args[0] == "run" || args[0] == "sweep") && !contains(args, "--out") {
				args = append(args, "--out", out)
			}
			code, stdout, stderr := runCLI(context.Background(), args...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "iterbench: ") || !strings.Contains(last, c.want) {
				t.Errorf("stderr %q, want one line containing %q", stderr, c.want)
			}
			if c.name != "no command" && len(lines) != 1 {
				t.Errorf("stderr has %d lines, want 1: %q", len(lines), stderr)
			}
			if strings.Contains(stderr+stdout, "s3cr3tpw") {
				t.Errorf("the password was printed: %q", stderr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("the output folder was created")
			}
			if entries, _ := os.ReadDir(existing); len(entries) != 1 {
				t.Errorf("an existing folder changed")
			}
		})
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestBadInputLeavesExistingOutputAlone(t *testing.T) {
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "summary.json"), []byte("old"), 0o644)
	code, _, _ := runCLI(context.Background(), "run", "--rows", "0", "--out", out)
	if code != exitUsage {
		t.Fatalf("exit code %d", code)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "summary.json")); string(b) != "old" {
		t.Errorf("summary.json was changed to %q", b)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("the folder holds %d entries, want 1", len(entries))
	}
}

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
		if r.Status != summary.StatusOK || r.WrongRows != 0 || r.RowsVerified != 3000 {
			t.Errorf("%s repeat %d: %s, %d wrong: %s", r.Strategy, r.Repeat, r.Status, r.WrongRows, r.Error)
		}
	}
	for _, f := range []string{"bench.txt", "REPORT.md", "rss-over-time.png", "rss-over-time-bounded.svg", "peak-rss.png", "duration.svg"} {
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
		for ctx.Err() == nil {
			// Opening can fail while the run holds the file (seeding):
			// try again, as the query does.
			if db, err := database.Open(ctx, database.SQLite, file); err == nil {
				var n int64
				err := db.Raw("SELECT COUNT(*) FROM iterbench_items WHERE score > 0").Scan(&n).Error
				database.Close(db)
				if err == nil && n > 0 {
					cancel()
					return
				}
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
	for _, r := range s.Runs {
		if r.Status != summary.StatusInterrupted {
			t.Errorf("run %s has status %s", r.Strategy, r.Status)
		}
	}
	t.Logf("stopped after %v with %d runs recorded", time.Since(start), len(s.Runs))
}

func TestSeedAndList(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "seed.db")
	code, stdout, stderr := runCLI(context.Background(), "seed", "--dsn", dsn, "--rows", "1234")
	if code != exitOK || !strings.Contains(stdout, "seeded 1,234 rows") {
		t.Fatalf("seed: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(context.Background(), "list")
	if code != exitOK || !strings.Contains(stdout, "load-all") || !strings.Contains(stdout, "paging-bulk") {
		t.Errorf("list: exit %d, %q", code, stdout)
	}
	code, stdout, _ = runCLI(context.Background(), "run", "-h")
	if code != exitOK || !strings.Contains(stdout, "-rows") {
		t.Errorf("run -h: exit %d, %q", code, stdout)
	}
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

// TestStrangersTableIsLeftAlone: --dsn on a database that holds a table of
// iterbench's name created by somebody else: exit 2, one line, the table
// and its row untouched, no results folder.
func TestStrangersTableIsLeftAlone(t *testing.T) {
	file := filepath.Join(t.TempDir(), "user.db")
	db, err := database.Open(context.Background(), database.SQLite, file)
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	if err := db.Exec("CREATE TABLE iterbench_items (id INTEGER PRIMARY KEY, note TEXT); INSERT INTO iterbench_items VALUES (1, 'mine')").Error; err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	for _, args := range [][]string{{"run", "--rows", "100", "--dsn", file, "--out", out}, {"seed", "--rows", "100", "--dsn", file}} {
		code, _, stderr := runCLI(context.Background(), args...)
		if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "iterbench did not create it") {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line", args[0], code, stderr)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: the output folder was created", args[0])
		}
	}
	var note string
	if err := db.Raw("SELECT note FROM iterbench_items WHERE id = 1").Scan(&note).Error; err != nil || note != "mine" {
		t.Errorf("the user's table: %q, %v", note, err)
	}
}

// TestOneRunPerTarget starts a run and, once it has filled its table, a
// second on the same database: the second is refused at once, naming the
// first, and the first is not disturbed.
func TestOneRunPerTarget(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "shared.db")
	type result struct {
		code           int
		stdout, stderr string
	}
	first := make(chan result, 1)
	go func() {
		code, stdout, stderr := runCLI(context.Background(), "run", "--dsn", file, "--rows", "20000", "--repeats", "1",
			"--strategies", "cursor,keyset-bulk", "--out", filepath.Join(dir, "first"))
		first <- result{code, stdout, stderr}
	}()
	// Wait for the event: the first run's table holds its rows.
	db, err := database.Open(context.Background(), database.SQLite, file)
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	for {
		var n int64
		if db.Raw("SELECT COUNT(*) FROM iterbench_items").Scan(&n).Error == nil && n == 20000 {
			break
		}
		select {
		case r := <-first:
			t.Fatalf("the first run ended before the second started: exit %d: %s", r.code, r.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	out := filepath.Join(dir, "second")
	code, _, stderr := runCLI(context.Background(), "run", "--dsn", file, "--rows", "20000", "--repeats", "1", "--out", out)
	if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "another iterbench run is using this database (host ") ||
		!strings.Contains(stderr, fmt.Sprintf("pid %d", os.Getpid())) {
		t.Errorf("second run: exit %d, stderr %q; want exit 2 and one line naming the first run", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("the second run created its output folder")
	}
	r := <-first
	if r.code != exitOK {
		t.Fatalf("first run: exit %d: %s", r.code, r.stderr)
	}
	s, _, err := summary.Read(filepath.Join(dir, "first"))
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range s.Runs {
		if run.Status != summary.StatusOK || run.WrongRows != 0 {
			t.Errorf("first run's %s: %s, %d wrong: %s", run.Strategy, run.Status, run.WrongRows, run.Error)
		}
	}
}

// TestFullDiskLeavesPreviousResults runs with --out on a file system too
// small for the results: exit 1 naming the cause, the previous results as
// they were, and no partial folder beside them.
func TestFullDiskLeavesPreviousResults(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs (CI runs as root)")
	}
	mnt := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	out := filepath.Join(mnt, "results")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "summary.json"), []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(context.Background(), "run", "--rows", "3000", "--repeats", "1", "--strategies", "keyset-bulk,cursor-bulk", "--out", out)
	if code != exitFailure || !strings.Contains(stderr, "no space left on device") {
		t.Errorf("exit %d, stderr %q; want exit 1 naming the full disk", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "summary.json")); string(b) != "previous" {
		t.Errorf("the previous summary.json became %.40q", b)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("the previous folder holds %d files, want its 1", len(entries))
	}
	if entries, _ := os.ReadDir(mnt); len(entries) != 1 {
		t.Errorf("%d entries beside the results, want none: %v", len(entries)-1, entries)
	}
}
