package strategies_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/items"
	"github.com/iterbench/iterbench/internal/job"
	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/strategies"
)

// itemsJob is iterbench's own job, which these tests run.
func itemsJob(t testing.TB) *job.Job {
	t.Helper()
	j, err := job.Of(items.Job)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func openSQLite(t testing.TB) *gorm.DB {
	t.Helper()
	db, err := database.Open(context.Background(), database.SQLite, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(db) })
	return db
}

// checkStrategy seeds rows rows, runs s and asserts every row is correct.
func checkStrategy(t *testing.T, db *gorm.DB, s strategies.Strategy, rows int, cfg strategies.Config) {
	t.Helper()
	ctx := context.Background()
	if _, err := seed.Seed(ctx, db, seed.Config{Rows: rows, Payload: 300, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	if rows > 0 {
		if v, err := seed.Verify(ctx, db, seed.Config{Seed: 5, Payload: 300}); err != nil || v.Wrong != int64(rows) {
			t.Fatalf("before the run: %d of %d rows wrong (%v); the check cannot fail", v.Wrong, rows, err)
		}
	}
	var last int64
	cfg.Job = itemsJob(t)
	cfg.Progress = func(done int64) {
		if done < last {
			t.Errorf("progress went back from %d to %d", last, done)
		}
		last = done
	}
	stats, err := s.Run(ctx, db, cfg)
	if err != nil {
		t.Fatalf("%s: %v", s.Name(), err)
	}
	if stats.Rows != int64(rows) {
		t.Errorf("%s reported %d rows, want %d", s.Name(), stats.Rows, rows)
	}
	if last != int64(rows) {
		t.Errorf("last progress report %d, want %d", last, rows)
	}
	v, err := seed.Verify(ctx, db, seed.Config{Seed: 5, Payload: 300})
	if err != nil {
		t.Fatal(err)
	}
	if v.Rows != int64(rows) || v.Wrong != 0 {
		t.Errorf("%s: after the run %d rows, %d wrong (first key %s)", s.Name(), v.Rows, v.Wrong, v.FirstWrong)
	}
}

func TestStrategiesSQLite(t *testing.T) {
	const batch = 7
	db := openSQLite(t)
	checkAll(t, db, batch)
}

// checkAll runs every strategy the database supports with row counts of 0,
// 1, a multiple of the batch and not a multiple, and checks that the others
// refuse to run.
func checkAll(t *testing.T, db *gorm.DB, batch int) {
	for _, s := range strategies.Registry() {
		if !strategies.Supported(s, database.KindOf(db), nil) {
			t.Run(fmt.Sprintf("strategy=%s/unsupported", s.Name()), func(t *testing.T) {
				if _, err := s.Run(context.Background(), db, strategies.Config{Job: itemsJob(t), BatchSize: batch}); err == nil {
					t.Errorf("%s ran on %s, which it says it does not support", s.Name(), db.Name())
				}
			})
			continue
		}
		for _, rows := range []int{0, 1, 3 * batch, 3*batch + 4} {
			t.Run(fmt.Sprintf("strategy=%s/rows=%d", s.Name(), rows), func(t *testing.T) {
				checkStrategy(t, db, s, rows, strategies.Config{BatchSize: batch, Workers: 3})
			})
		}
	}
}

func TestBulkFormsSQLite(t *testing.T) {
	db := openSQLite(t)
	for _, form := range strategies.BulkForms(database.SQLite) {
		t.Run("form="+string(form), func(t *testing.T) {
			checkStrategy(t, db, strategies.CursorBulk{}, 50, strategies.Config{BatchSize: 16, BulkForm: form})
		})
	}
}

func TestParse(t *testing.T) {
	all, err := strategies.Parse("all")
	if err != nil || len(all) != len(strategies.All()) {
		t.Fatalf("Parse(all) = %d strategies, %v", len(all), err)
	}
	two, err := strategies.Parse("paging, cursor,paging")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(strategies.Names(two)); got != "[paging cursor]" {
		t.Errorf("Parse kept %s", got)
	}
	if _, err := strategies.Parse("paging,nope"); err == nil {
		t.Error("Parse accepted an unknown name")
	}
	if _, err := strategies.ResolveBulkForm(database.SQLite, "nope"); err == nil {
		t.Error("ResolveBulkForm accepted an unknown form")
	}
}

func TestNamesAreUniqueAndDescribed(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range strategies.Registry() {
		if seen[s.Name()] {
			t.Errorf("duplicate name %q", s.Name())
		}
		seen[s.Name()] = true
		if s.Description() == "" {
			t.Errorf("%s has no description", s.Name())
		}
	}
}

// TestStrategiesServers runs every strategy, and every bulk form, against
// PostgreSQL and MariaDB in containers.
func TestStrategiesServers(t *testing.T) {
	const batch = 7
	for _, kind := range []database.Kind{database.Postgres, database.MariaDB} {
		t.Run("db="+string(kind), func(t *testing.T) {
			db, _ := containertest.Open(t, kind)
			checkAll(t, db, batch)
			for _, form := range strategies.BulkForms(database.KindOf(db)) {
				t.Run("form="+string(form), func(t *testing.T) {
					checkStrategy(t, db, strategies.PagingBulk{}, 50, strategies.Config{BatchSize: 16, BulkForm: form})
				})
			}
		})
	}
}

// TestCursorWritesOnSecondConnection checks that the streaming strategies
// write over a second connection while their result set holds the first,
// and that paging needs only one.
func TestCursorWritesOnSecondConnection(t *testing.T) {
	kinds := map[database.Kind]func(t *testing.T) string{
		database.SQLite: func(t *testing.T) string { return filepath.Join(t.TempDir(), "conn.db") },
	}
	for _, k := range []database.Kind{database.Postgres, database.MariaDB} {
		kinds[k] = func(t *testing.T) string { return containertest.Start(t, k).DSN }
	}
	for _, kind := range []database.Kind{database.SQLite, database.Postgres, database.MariaDB} {
		t.Run("db="+string(kind), func(t *testing.T) {
			dsn := kinds[kind](t)
			ctx := context.Background()
			for _, c := range []struct {
				s     strategies.Strategy
				conns int
			}{{strategies.Cursor{}, 2}, {strategies.CursorBulk{}, 2}, {strategies.Paging{}, 1}, {strategies.PagingBulk{}, 1}} {
				db, err := database.Open(ctx, kind, dsn)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := seed.Seed(ctx, db, seed.Config{Rows: 30, Payload: 300, Seed: 1}); err != nil {
					t.Fatal(err)
				}
				database.Close(db)
				// A fresh pool, so that every connection it holds was opened by the strategy.
				db, err = database.Open(ctx, kind, dsn)
				if err != nil {
					t.Fatal(err)
				}
				sqlDB, _ := db.DB()
				if _, err := c.s.Run(ctx, db, strategies.Config{Job: itemsJob(t), BatchSize: 10}); err != nil {
					t.Fatal(err)
				}
				if got := sqlDB.Stats().OpenConnections; got != c.conns {
					t.Errorf("%s opened %d connections, want %d", c.s.Name(), got, c.conns)
				}
				database.Close(db)
			}
		})
	}
}

// TestLayers: --layers adds the driver forms after their GORM forms,
// keeps only them for driver alone, refuses an unknown layer; a driver
// form does not take a job with a Scope, which is a GORM clause.
func TestLayers(t *testing.T) {
	ss, _ := strategies.Parse("cursor,keyset-bulk,keyset-pipelined")
	for layers, want := range map[string]string{
		"gorm":        "[cursor keyset-bulk keyset-pipelined]",
		"gorm,driver": "[cursor keyset-bulk keyset-bulk@driver keyset-pipelined keyset-pipelined@driver]",
		"driver":      "[keyset-bulk@driver keyset-pipelined@driver]",
	} {
		ls, err := strategies.ParseLayers(layers)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(strategies.Names(strategies.OnLayers(ss, ls))); got != want {
			t.Errorf("--layers %s: %s, want %s", layers, got, want)
		}
	}
	if _, err := strategies.ParseLayers("gorm,sqlx"); err == nil {
		t.Error("ParseLayers took sqlx")
	}
	j := itemsJob(t)
	scoped := *j
	scoped.Scope = func(db *gorm.DB) *gorm.DB { return db.Where("id > 0") }
	d := strategies.Driver{Of: strategies.KeysetBulk{}}
	if !strategies.Supported(d, database.SQLite, j) || strategies.Supported(d, database.SQLite, &scoped) {
		t.Error("the driver form should take the items job and refuse it with a Scope")
	}
	if _, err := d.Run(context.Background(), openSQLite(t), strategies.Config{Job: &scoped}); err == nil || !strings.Contains(err.Error(), "Scope") {
		t.Errorf("the driver form ran a scoped job: %v", err)
	}
}

// TestDriverFormBypassesGORM: keyset-bulk through GORM runs a GORM
// statement per page and per write; its driver form runs none for them
// (GORM prepares the job: the columns, the progress table).
func TestDriverFormBypassesGORM(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		s        strategies.Strategy
		min, max int
	}{
		{strategies.KeysetBulk{}, 20, 1000},
		{strategies.Driver{Of: strategies.KeysetBulk{}}, 0, 6},
		{strategies.KeysetPipelined{}, 20, 1000},
		{strategies.Driver{Of: strategies.KeysetPipelined{}}, 0, 6},
	} {
		db := openSQLite(t)
		if _, err := seed.Seed(ctx, db, seed.Config{Rows: 70, Payload: 300, Seed: 5}); err != nil {
			t.Fatal(err)
		}
		var n atomic.Int64
		count := func(*gorm.DB) { n.Add(1) }
		cb := db.Callback()
		for _, err := range []error{
			cb.Query().Before("gorm:query").Register("count", count),
			cb.Raw().Before("gorm:raw").Register("count", count),
			cb.Row().Before("gorm:row").Register("count", count),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.s.Run(ctx, db, strategies.Config{Job: itemsJob(t), BatchSize: 7}); err != nil {
			t.Fatal(err)
		}
		if got := int(n.Load()); got < c.min || got > c.max {
			t.Errorf("%s ran %d GORM statements for 11 pages, want %d to %d", c.s.Name(), got, c.min, c.max)
		}
	}
}
