package outdir

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

func TestReplace(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "results")
	// A new folder.
	if err := Replace(dir, nil, func(tmp string) error { write(t, filepath.Join(tmp, "a"), "1"); return nil }); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(dir, "a")) != "1" {
		t.Error("new folder not written")
	}
	// Replacing it: nothing carried over.
	if err := Replace(dir, nil, func(tmp string) error { write(t, filepath.Join(tmp, "b"), "2"); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); !os.IsNotExist(err) || read(t, filepath.Join(dir, "b")) != "2" {
		t.Error("the replaced folder is not the new content alone")
	}
	// Redrawing: everything carried over, then overwritten in part.
	write(t, filepath.Join(dir, "sub", "c"), "3")
	if err := Replace(dir, KeepAll, func(tmp string) error { write(t, filepath.Join(tmp, "b"), "22"); return nil }); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(dir, "b")) != "22" || read(t, filepath.Join(dir, "sub", "c")) != "3" {
		t.Error("redraw lost or kept the wrong files")
	}
	// A failure half-way leaves the previous folder as it was.
	boom := errors.New("disk full")
	err := Replace(dir, KeepAll, func(tmp string) error {
		write(t, filepath.Join(tmp, "b"), "half")
		return boom
	})
	if !errors.Is(err, boom) || read(t, filepath.Join(dir, "b")) != "22" {
		t.Errorf("err %v, b = %q", err, read(t, filepath.Join(dir, "b")))
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Errorf("%d entries beside the folder, want only it: %v", len(entries), entries)
	}
}

func TestWriteFileLeavesNoTempOnError(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFile(filepath.Join(dir, "missing", "x"), []byte("x")); err == nil {
		t.Fatal("writing into a missing folder succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %d files behind", len(entries))
	}
}

// TestStaleFoldersRemoved: a folder left beside the target by a process
// that was killed is removed by the next Replace; one of a process that
// still runs is not.
func TestStaleFoldersRemoved(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "results")
	// A pid that does not run: a child that has exited and been reaped.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(parent, fmt.Sprintf("%sresults-%d-123", tmpPrefix, cmd.Process.Pid))
	live := filepath.Join(parent, fmt.Sprintf("%sresults-%d-456", tmpPrefix, os.Getpid()))
	write(t, filepath.Join(stale, "summary.json"), "half")
	write(t, filepath.Join(live, "summary.json"), "being written")
	if err := Replace(dir, nil, func(tmp string) error { write(t, filepath.Join(tmp, "a"), "1"); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("the killed process's folder is still there")
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the running process's folder was removed: %v", err)
	}
}

// TestCheck: the folders Replace cannot put in place are refused before
// any work, and checking leaves nothing behind.
func TestCheck(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(tmp)
	for _, c := range []struct{ dir, want string }{
		{".", "holds the current folder"},
		{tmp, "holds the current folder"},
		{filepath.Dir(tmp), "holds the current folder"},
		{"/", "is the root folder"},
		{"/proc", "is a mount point"},
		{file, "is not a folder"},
		{filepath.Join(file, "sub"), "is not a folder"},
		{"results/new", ""},
		{filepath.Join(tmp, "deep", "er", "still"), ""},
	} {
		err := Check(c.dir)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("Check(%q) = %v, want nil", c.dir, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("Check(%q) = %v, want an error saying %q", c.dir, err, c.want)
		}
	}
	entries, err := os.ReadDir(tmp)
	if err != nil || len(entries) != 1 {
		t.Errorf("checking left something behind in %s: %v %v", tmp, entries, err)
	}
}
