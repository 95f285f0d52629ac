// Package orders is an example of measuring a backfill with iterbench on a
// model of your own: a table of orders keyed by (tenant_id, id), where ids
// repeat across tenants so that neither column alone is a key, each order
// holding its lines as a JSON array, and two columns — the total in cents
// and the number of lines — that one calculation derives from those lines.
//
// What it shows:
//
//   - A composite key: Order's primary key is (tenant_id, id), which
//     iterbench uses as the job's key, to read in order and to find each row
//     again when writing it back.
//   - Two written columns set by one Compute (ComputeTotals).
//   - The same calculation in SQL for SQLite, PostgreSQL and MariaDB
//     (Backfill.SQL), so that the in-database strategies (set-based,
//     set-based-once) run too and can be compared with those that compute
//     in Go. On MariaDB the column lines, a keyword there, is quoted with
//     backticks and the array is taken apart with JSON_TABLE.
//   - A deterministic seed (Seed): 50 tenants, orders arriving in an
//     interleaved order, 1 to 40 lines each.
//
// The benchmark is in orders_test.go: TestMain makes the test binary
// iterbench's worker, and BenchmarkBackfill compares every strategy on a
// fresh table of 20,000 orders. Run it from this folder:
//
//	go test -run '^$' -bench . -benchtime 1x
//
// It prints one line per strategy with its median time per pass (ns/op),
// its peak resident memory (peak-RSS-bytes) and its rate (rows/s), and
// fails if any strategy wrote a wrong row. Environment variables change
// what it measures:
//
//   - ITERBENCH_EXAMPLE_ROWS: the number of orders (default 20000).
//   - ITERBENCH_EXAMPLE_REPEATS: the passes of each strategy (default 5).
//   - ITERBENCH_EXAMPLE_OUT: a folder to write the results into (REPORT.md
//     with its recommendation, summary.json, samples.csv, charts); empty:
//     none is written. The folder is replaced as a whole.
//   - ITERBENCH_EXAMPLE_DSN: the database; empty: a SQLite file in a
//     temporary folder. A postgres:// URL or a go-sql-driver DSN
//     (user:pass@tcp(host:3306)/db) runs the same benchmark on PostgreSQL
//     or MariaDB, where server-cursor runs too (PostgreSQL only).
//
// For example:
//
//	ITERBENCH_EXAMPLE_OUT=results go test -run '^$' -bench . -benchtime 1x
//	ITERBENCH_EXAMPLE_DSN='postgres://bench:bench@localhost:5432/bench' go test -run '^$' -bench . -benchtime 1x
//
// Plain go test (without -bench) runs TestComputeOrder, which checks the
// calculation on a hand-written order.
package orders
