package iterbench_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iterbench/iterbench"
	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
)

// TestThrottles asks the built-in throttles: the latency of a query over
// and under its limit (SQLite); PostgreSQL's replica lag without replicas;
// MariaDB's Threads_running over and under its limit.
func TestThrottles(t *testing.T) {
	ctx := context.Background()
	t.Run("db=sqlite", func(t *testing.T) {
		db, err := database.Open(ctx, database.SQLite, filepath.Join(t.TempDir(), "t.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer database.Close(db)
		if p, why := iterbench.QueryLatency(db, "SELECT 1", 0, time.Second)(ctx); p != time.Second || !strings.Contains(why, "over 0s") {
			t.Errorf("over its limit: pause %v, %q", p, why)
		}
		if p, why := iterbench.QueryLatency(db, "SELECT 1", time.Hour, time.Second)(ctx); p != 0 {
			t.Errorf("under its limit: pause %v, %q", p, why)
		}
		if p, why := iterbench.QueryLatency(db, "SELECT nothing FROM nowhere", time.Hour, time.Second)(ctx); p != time.Second || !strings.Contains(why, "failed") {
			t.Errorf("a failing query: pause %v, %q", p, why)
		}
	})
	t.Run("db=postgres", func(t *testing.T) {
		db, _ := containertest.Open(t, database.Postgres)
		if p, why := iterbench.ReplicaLag(db, time.Second)(ctx); p != 0 || why != "" {
			t.Errorf("no replica: pause %v, %q", p, why)
		}
	})
	t.Run("db=mariadb", func(t *testing.T) {
		db, _ := containertest.Open(t, database.MariaDB)
		if p, why := iterbench.ThreadsRunning(db, 0, time.Second)(ctx); p != time.Second || !strings.Contains(why, "Threads_running") {
			t.Errorf("over 0: pause %v, %q", p, why)
		}
		if p, why := iterbench.ThreadsRunning(db, 1000, time.Second)(ctx); p != 0 {
			t.Errorf("under 1000: pause %v, %q", p, why)
		}
	})
}
