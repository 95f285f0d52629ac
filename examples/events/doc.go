// Package events is an example of measuring a backfill with iterbench on a
// model of your own: a table of events keyed by a UUID stored as text,
// each holding a JSON payload whose size varies a lot between rows — from
// a few bytes to several KiB — and one column, the payload's SHA-256
// digest, that the backfill computes.
//
// What it shows:
//
//   - A text key: Event's primary key is a UUID in its 36-character form,
//     declared varchar(36) (MariaDB cannot index a TEXT column without a
//     prefix length) and NOT NULL (SQLite lets a PRIMARY KEY column that is
//     not INTEGER hold NULL otherwise, and iterbench refuses a nullable
//     key). Keys are random, so the table's order by key is unrelated to
//     the order the rows were inserted in.
//   - Rows of very different sizes: the memory of a strategy that holds a
//     batch, or the whole table, depends on the payloads it holds, not on
//     the number of rows alone.
//   - A calculation given in SQL for some databases only: Backfill.SQL
//     computes the digest on PostgreSQL (sha256) and MariaDB (SHA2); SQLite
//     has no SHA-256 function. So on SQLite the in-database strategies
//     (set-based, set-based-once) do not run, and the comparison is between
//     the strategies that compute in Go: load-all, cursor, cursor-bulk,
//     paging, paging-bulk, keyset, keyset-bulk and parallel-keyset. On
//     PostgreSQL and MariaDB set-based and set-based-once run too, and on
//     PostgreSQL server-cursor as well.
//   - A deterministic seed (Seed): UUIDs and payloads drawn from a
//     math/rand/v2 source with a fixed seed, the same on every run.
//
// The benchmark is in events_test.go: TestMain makes the test binary
// iterbench's worker, and BenchmarkBackfill compares the strategies on a
// fresh table of 20,000 events. Run it from this folder:
//
//	go test -run '^$' -bench . -benchtime 1x
//
// It prints one line per strategy with its median time per pass (ns/op),
// its peak resident memory (peak-RSS-bytes) and its rate (rows/s), and
// fails if any strategy wrote a wrong row. Environment variables change
// what it measures:
//
//   - ITERBENCH_EXAMPLE_ROWS: the number of events (default 20000).
//   - ITERBENCH_EXAMPLE_REPEATS: the passes of each strategy (default 5).
//   - ITERBENCH_EXAMPLE_OUT: a folder to write the results into (REPORT.md
//     with its recommendation, summary.json, samples.csv, charts); empty:
//     none is written. The folder is replaced as a whole.
//   - ITERBENCH_EXAMPLE_DSN: the database; empty: a SQLite file in a
//     temporary folder. A postgres:// URL or a go-sql-driver DSN
//     (user:pass@tcp(host:3306)/db) runs the same benchmark on PostgreSQL
//     or MariaDB.
//
// For example:
//
//	ITERBENCH_EXAMPLE_OUT=results go test -run '^$' -bench . -benchtime 1x
//	ITERBENCH_EXAMPLE_DSN='bench:bench@tcp(localhost:3306)/bench' go test -run '^$' -bench . -benchtime 1x
//
// Plain go test (without -bench) runs TestComputeEvent, which checks the
// calculation on a hand-written event, and TestSeedUUIDs, which checks the
// form of the generated keys.
package events
