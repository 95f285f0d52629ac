package lock_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/lock"
)

// checkLock takes the lock, checks that a second taker is refused with the
// first's description, and that it is free again once released.
func checkLock(t *testing.T, open func() *gorm.DB, file string) {
	t.Helper()
	ctx := context.Background()
	first := lock.Holder{Host: "first-host", PID: 4242}
	l, err := lock.Acquire(ctx, open(), file, first)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lock.Acquire(ctx, open(), file, lock.Self())
	if !errors.Is(err, lock.ErrHeld) || !strings.Contains(err.Error(), "first-host, pid 4242") {
		t.Errorf("second Acquire: %v; want ErrHeld naming the first run", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := lock.Acquire(ctx, open(), file, lock.Self())
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release()
}

// Environment of a child process of this test binary that runs
// TestLockHolder: the kind of database and its DSN (for SQLite, its file).
const (
	holderKindEnv = "ITERBENCH_LOCK_HOLDER_KIND"
	holderDSNEnv  = "ITERBENCH_LOCK_HOLDER_DSN"
)

// killedHost names the holder that is killed: a description longer than
// the next holder's, which must replace it, not write over its start.
const killedHost = "killed-holder-with-a-long-host-name"

// A server frees a killed client's lock when it notices the closed
// connection and ends the session: the test asks for the lock every
// pollEvery, and fails after serverNotices.
const pollEvery, serverNotices = 20 * time.Millisecond, 30 * time.Second

// TestLockHolder is run by checkKilledHolder in a child process: it takes
// the lock, says "held" on stdout, and holds the lock until it is killed
// (or its stdin closes, should the parent die first).
func TestLockHolder(t *testing.T) {
	kind, dsn := database.Kind(os.Getenv(holderKindEnv)), os.Getenv(holderDSNEnv)
	if kind == "" {
		t.Skip("run by checkKilledHolder in a child process")
	}
	db, err := database.Open(context.Background(), kind, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Acquire(context.Background(), db, sqliteFile(kind, dsn), lock.Holder{Host: killedHost, PID: os.Getpid()}); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("held\n")
	io.Copy(io.Discard, os.Stdin)
}

// sqliteFile is the file argument of lock.Acquire: the DSN for SQLite.
func sqliteFile(kind database.Kind, dsn string) string {
	if kind == database.SQLite {
		return dsn
	}
	return ""
}

// checkKilledHolder has a child process take the lock, checks that it is
// refused here while the child holds it, and free once the child is killed
// (SIGKILL: no Release), at once for SQLite's file, once the server has
// ended the child's session otherwise; the next holder is then named, not
// the killed one.
func checkKilledHolder(t *testing.T, kind database.Kind, dsn string, open func() *gorm.DB) {
	t.Helper()
	ctx, file := context.Background(), sqliteFile(kind, dsn)
	child := exec.Command(os.Args[0], "-test.run=^TestLockHolder$")
	child.Env = append(os.Environ(), holderKindEnv+"="+string(kind), holderDSNEnv+"="+dsn)
	child.Stderr = os.Stderr
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := child.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	out := bufio.NewReader(stdout)
	if line, _ := out.ReadString('\n'); line != "held\n" {
		rest, _ := io.ReadAll(out)
		t.Fatalf("the child did not take the lock: %s%s", line, rest)
	}
	if _, err := lock.Acquire(ctx, open(), file, lock.Self()); !errors.Is(err, lock.ErrHeld) || !strings.Contains(err.Error(), killedHost) {
		t.Fatalf("Acquire while the child holds the lock: %v; want ErrHeld naming the child", err)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	next, db := lock.Holder{Host: "next", PID: 1}, open()
	l, err := lock.Acquire(ctx, db, file, next)
	for deadline := time.Now().Add(serverNotices); kind != database.SQLite && errors.Is(err, lock.ErrHeld) && time.Now().Before(deadline); {
		time.Sleep(pollEvery)
		l, err = lock.Acquire(ctx, db, file, next)
	}
	if err != nil {
		t.Fatalf("Acquire once the holder was killed: %v", err)
	}
	defer l.Release()
	if _, err := lock.Acquire(ctx, open(), file, lock.Self()); !errors.Is(err, lock.ErrHeld) || !strings.Contains(err.Error(), "("+next.String()+")") {
		t.Errorf("Acquire after the next holder: %v; want ErrHeld naming exactly %q", err, next)
	}
}

func TestSQLiteLock(t *testing.T) {
	file := filepath.Join(t.TempDir(), "x.db")
	open := func() *gorm.DB {
		db, err := database.Open(context.Background(), database.SQLite, file)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { database.Close(db) })
		return db
	}
	checkLock(t, open, file)
	checkKilledHolder(t, database.SQLite, file, open)
}

func TestServerLocks(t *testing.T) {
	for _, kind := range []database.Kind{database.Postgres, database.MariaDB} {
		t.Run("db="+string(kind), func(t *testing.T) {
			_, srv := containertest.Open(t, kind)
			open := func() *gorm.DB {
				db, err := database.Open(context.Background(), kind, srv.DSN)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { database.Close(db) })
				return db
			}
			checkLock(t, open, "")
			checkKilledHolder(t, kind, srv.DSN, open)
		})
	}
}
