package lock_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"iterbench/container/containertest"
	"iterbench/database"
	"iterbench/lock"
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

func TestSQLiteLock(t *testing.T) {
	file := filepath.Join(t.TempDir(), "x.db")
	checkLock(t, func() *gorm.DB {
		db, err := database.Open(context.Background(), database.SQLite, file)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { database.Close(db) })
		return db
	}, file)
}

func TestServerLocks(t *testing.T) {
	for _, kind := range []database.Kind{database.Postgres, database.MariaDB} {
		t.Run("db="+string(kind), func(t *testing.T) {
			_, srv := containertest.Open(t, kind)
			checkLock(t, func() *gorm.DB {
				db, err := database.Open(context.Background(), kind, srv.DSN)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { database.Close(db) })
				return db
			}, "")
		})
	}
}
