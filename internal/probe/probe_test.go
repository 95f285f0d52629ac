package probe_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/items"
	"github.com/iterbench/iterbench/internal/probe"
	"github.com/iterbench/iterbench/internal/seed"
)

const rows = 300

// until polls cond every 10 ms until it holds, failing the test after a
// minute.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// lockAll holds every row's lock (SQLite: the write lock) in a transaction
// on a connection of its own, and returns its release.
func lockAll(t *testing.T, kind database.Kind, dsn string) func() {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, kind, dsn)
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	c, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	begin := "BEGIN"
	if kind == database.SQLite {
		begin = "BEGIN IMMEDIATE"
	}
	for _, q := range []string{begin, "UPDATE " + items.Table + " SET score = score + 1"} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return func() {
		c.ExecContext(ctx, "ROLLBACK")
		c.Close()
		database.Close(db)
	}
}

// checkProbe runs the probe idle, then against a transaction holding every
// row: idle it sees no timeout; blocked, its writes give up after the 1 s
// lock wait, and its p99 and its longest write show it.
func checkProbe(t *testing.T, kind database.Kind, dsn string) {
	ctx := context.Background()
	db, err := database.Open(ctx, kind, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	if _, err := seed.Seed(ctx, db, seed.Config{Rows: rows, Payload: 300, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	p, err := probe.Open(ctx, kind, dsn, probe.Config{Rate: 200, Rows: rows, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	r := p.Start(ctx)
	until(t, "100 idle operations", func() bool { ops, _ := r.Seen(); return ops >= 100 })
	idle, _ := r.Stop()
	if idle.Timeouts != 0 || idle.Errors != 0 || idle.P99Ms >= 1000 || idle.P50Ms <= 0 {
		t.Errorf("idle probe: %+v", idle)
	}

	release := lockAll(t, kind, dsn)
	r = p.Start(ctx)
	until(t, "3 lock-wait timeouts", func() bool { _, to := r.Seen(); return to >= 3 })
	release()
	blocked, windows := r.Stop()
	t.Logf("idle %+v\nblocked %+v", idle, blocked)
	if blocked.Timeouts < 3 || blocked.Errors != 0 {
		t.Errorf("blocked probe: %d timeouts, %d errors; want ≥ 3 and 0", blocked.Timeouts, blocked.Errors)
	}
	if blocked.WriteMaxMs < 900 || blocked.P99Ms < 900 || blocked.MaxMs < blocked.P99Ms {
		t.Errorf("blocked probe: longest write %.1f ms, p99 %.1f ms, max %.1f ms; want the 1 s lock wait in them",
			blocked.WriteMaxMs, blocked.P99Ms, blocked.MaxMs)
	}
	var inWindows int
	for _, w := range windows {
		inWindows += w.Timeouts
	}
	if len(windows) == 0 || inWindows != int(blocked.Timeouts) {
		t.Errorf("%d windows holding %d timeouts; want them all (%d)", len(windows), inWindows, blocked.Timeouts)
	}
}

func TestProbeSQLite(t *testing.T) {
	checkProbe(t, database.SQLite, filepath.Join(t.TempDir(), "p.db"))
}

func TestProbeServers(t *testing.T) {
	for _, kind := range []database.Kind{database.Postgres, database.MariaDB} {
		t.Run("db="+string(kind), func(t *testing.T) {
			_, srv := containertest.Open(t, kind)
			checkProbe(t, kind, srv.DSN)
		})
	}
}

func TestQuantile(t *testing.T) {
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(100 - i) // 100 .. 1
	}
	for _, c := range []struct{ q, want float64 }{{0.5, 50}, {0.99, 99}, {1, 100}, {0, 1}} {
		if got := probe.Quantile(xs, c.q); got != c.want {
			t.Errorf("Quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if probe.Quantile(nil, 0.99) != 0 {
		t.Error("Quantile of nothing")
	}
}

// TestSetRate steps the probe's rate up while it runs: the operations are
// due at the new rate from then on, as the windows (by due time) show.
func TestSetRate(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "p.db")
	db, err := database.Open(ctx, database.SQLite, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	if _, err := seed.Seed(ctx, db, seed.Config{Rows: rows, Payload: 300, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	p, err := probe.Open(ctx, database.SQLite, dsn, probe.Config{Rate: 40, Rows: rows, Seed: 1, Window: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := p.Start(ctx)
	until(t, "20 operations at 40/s", func() bool { ops, _ := r.Seen(); return ops >= 20 })
	r.SetRate(800)
	until(t, "200 more at 800/s", func() bool { ops, _ := r.Seen(); return ops >= 220 })
	_, windows := r.Stop()
	// 50 ms windows: 2 operations each at 40/s, 40 at 800/s.
	most := 0
	for _, w := range windows {
		if w.T < 0.4 && w.Ops > 3 {
			t.Errorf("window at %.2f s holds %d operations before the step, want 2", w.T, w.Ops)
		}
		most = max(most, w.Ops)
	}
	if most < 35 {
		t.Errorf("the busiest window holds %d operations, want about 40 after the step to 800/s", most)
	}
}
