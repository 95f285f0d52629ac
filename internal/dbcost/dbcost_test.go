package dbcost_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/dbcost"
	"github.com/iterbench/iterbench/internal/items"
	"github.com/iterbench/iterbench/internal/seed"
)

const rows = 2000

// workerConn opens a connection named as the worker names its sessions,
// and returns it with its close.
func workerConn(t *testing.T, kind database.Kind, dsn string) (*sql.Conn, func()) {
	t.Helper()
	ctx := context.Background()
	wdb, err := database.OpenAs(ctx, kind, dsn, database.WorkerApp)
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := wdb.DB()
	c, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c, func() {
		c.Close()
		database.Close(wdb)
	}
}

// patience is how many times their due time a test waits for a watch's
// readings before it fails.
const patience = 20

// readings returns a function that reports whether w has taken n readings
// since readings was called. The readings are due in n intervals of
// dbcost.DefaultInterval; once patience times that has passed without
// them, the function stops the watch and fails t with what it reports.
func readings(t *testing.T, w *dbcost.Watch, n int) func() bool {
	t.Helper()
	n0, wait := w.Samples(), patience*time.Duration(n)*dbcost.DefaultInterval
	deadline := time.Now().Add(wait)
	return func() bool {
		t.Helper()
		got := w.Samples() - n0
		if got < n && time.Now().After(deadline) {
			_, err := w.Stop(context.Background())
			t.Fatalf("the watch took %d of %d readings in %v (Stop: %v)", got, n, wait, err)
		}
		return got >= n
	}
}

// checkCost watches a "worker" (a session named as the worker names its
// own) that updates every row in one transaction and holds it open for at
// least five readings after it began: the watch must see the transaction's age, and the
// log and the dead rows the update left.
func checkCost(t *testing.T, kind database.Kind, dsn string) {
	ctx := context.Background()
	db, err := database.Open(ctx, kind, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	if _, err := seed.Seed(ctx, db, seed.Config{Rows: rows, Payload: 300, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	w, err := dbcost.Start(ctx, db, dbcost.Config{Kind: kind, SQLitePath: database.SQLitePath(dsn)})
	if err != nil {
		t.Fatal(err)
	}
	c, closeWorker := workerConn(t, kind, dsn)
	begin := "BEGIN"
	if kind == database.Postgres {
		begin = "BEGIN ISOLATION LEVEL REPEATABLE READ" // holds its snapshot
	}
	begun := time.Now()
	for _, q := range []string{begin, "UPDATE " + items.Table + " SET score = score + 1"} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for done := readings(t, w, 5); !done(); {
		time.Sleep(dbcost.DefaultInterval / 10)
	}
	if _, err := c.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	open := time.Since(begun).Seconds()
	closeWorker()
	got, err := w.Stop(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("held %.3f s: %+v", open, got)
	if got.Samples < 5 {
		t.Errorf("%d readings, want ≥ 5", got.Samples)
	}
	if got.SizeBeforeBytes <= 0 || got.SizeAfterBytes < got.SizeBeforeBytes {
		t.Errorf("size %d → %d", got.SizeBeforeBytes, got.SizeAfterBytes)
	}
	switch kind {
	case database.SQLite:
		if got.WALMaxBytes < rows*300 {
			t.Errorf("largest WAL %d bytes, want at least the rows rewritten (%d)", got.WALMaxBytes, rows*300)
		}
	default:
		// The transaction was open for five readings 100 ms apart: its age
		// must be at least 0.3 s and at most how long it was open.
		if got.LongestTransactionSeconds < 0.3 || got.LongestTransactionSeconds > open {
			t.Errorf("longest transaction %.3f s, held %.3f s", got.LongestTransactionSeconds, open)
		}
		if got.WALBytes <= 0 {
			t.Errorf("log written %d bytes", got.WALBytes)
		}
	}
	if kind == database.Postgres {
		if got.OldestSnapshotSeconds <= 0 || got.OldestSnapshotSeconds > open {
			t.Errorf("oldest snapshot %.3f s, held %.3f s", got.OldestSnapshotSeconds, open)
		}
		if got.DeadTuplesAfter < rows {
			t.Errorf("dead rows after %d, want ≥ %d", got.DeadTuplesAfter, rows)
		}
		if got.WALBytes < rows*300 {
			t.Errorf("WAL %d bytes, want at least the rows rewritten (%d)", got.WALBytes, rows*300)
		}
	}
}

// checkShortReads watches a "worker" that reads the table in many short
// statements (40 ms each) for eight readings: no transaction of it lives long, however
// the server names them (MariaDB reuses a read-only transaction's id on a
// connection).
func checkShortReads(t *testing.T, kind database.Kind, dsn string) {
	ctx := context.Background()
	db, err := database.Open(ctx, kind, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	w, err := dbcost.Start(ctx, db, dbcost.Config{Kind: kind, SQLitePath: database.SQLitePath(dsn)})
	if err != nil {
		t.Fatal(err)
	}
	c, closeWorker := workerConn(t, kind, dsn)
	reads := 0
	for done := readings(t, w, 8); !done(); reads++ {
		// Each read lasts 40 ms (20 ms for each of two rows, a range: a
		// single-row lookup is read while the query is planned), long
		// enough for readings to catch it.
		sleep := "pg_sleep(0.02)"
		if kind == database.MariaDB {
			sleep = "SLEEP(0.02)"
		}
		rows, err := c.QueryContext(ctx, "SELECT "+sleep+" FROM "+items.Table+" WHERE id BETWEEN 1 AND 2")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	closeWorker()
	got, err := w.Stop(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d reads: %+v", reads, got)
	if got.LongestTransactionSeconds > 0.3 {
		t.Errorf("short reads make a longest transaction of %.3f s", got.LongestTransactionSeconds)
	}
}

func TestCostSQLite(t *testing.T) {
	checkCost(t, database.SQLite, filepath.Join(t.TempDir(), "c.db"))
}

func TestCostServers(t *testing.T) {
	for _, kind := range []database.Kind{database.Postgres, database.MariaDB} {
		t.Run("db="+string(kind), func(t *testing.T) {
			_, srv := containertest.Open(t, kind)
			checkCost(t, kind, srv.DSN)
			checkShortReads(t, kind, srv.DSN)
		})
	}
}
