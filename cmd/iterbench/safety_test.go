package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/summary"
)

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
	// Wait for the event: the first run's table holds its rows. Read-only,
	// so that the watcher never creates the file or sets its journal mode
	// under the first run.
	db, err := sql.Open("sqlite3", "file:"+file+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for {
		var n int64
		if db.QueryRow("SELECT COUNT(*) FROM iterbench_items").Scan(&n) == nil && n == 20000 {
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
