// Command backfill is the orders backfill as a team deploys it: it runs
// orders.Backfill on a database with iterbench.Run — the keyset-bulk code
// iterbench measured — resuming where a run before it stopped, stopping
// after the batch under way on SIGINT or SIGTERM, with batches sized to
// take -batch-target each, and a line of progress per second.
//
//	backfill -dsn 'postgres://user:pass@host:5432/shop'
//	backfill -dsn orders.db -batch-target 200ms
//	backfill -dsn … -restart        # from the first row again
//
// It writes only the columns the job computes (total_cents, line_count)
// of the table orders, and records its progress in iterbench_progress.
// Bad input (a flag, a DSN, a key that allows NULL or is not unique) gets
// one line on stderr and exit 2; a failure while running, exit 1.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/iterbench/iterbench"
	"github.com/iterbench/iterbench/examples/orders"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command, returning its exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("backfill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("dsn", "", "the database: postgres://…, user:pass@tcp(host:3306)/db (MariaDB), or a SQLite file")
	target := fs.Duration("batch-target", 500*time.Millisecond, "the time each batch aims at")
	restart := fs.Bool("restart", false, "start from the first row, forgetting the progress recorded")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dsn == "" || fs.NArg() > 0 || *target <= 0 {
		fmt.Fprintln(stderr, "backfill: give -dsn, and a positive -batch-target; no other arguments")
		return 2
	}
	db, err := open(*dsn)
	if err != nil {
		fmt.Fprintln(stderr, "backfill:", err)
		return 2
	}
	last := time.Now()
	st, err := iterbench.Run(ctx, db, orders.Backfill, iterbench.RunOptions{
		Batch:   iterbench.Adaptive{Target: *target},
		Restart: *restart,
		Progress: func(p iterbench.Progress) {
			if time.Since(last) >= time.Second || p.Rows == p.Total {
				last = time.Now()
				fmt.Fprintf(stdout, "%d of %d rows, %.0f rows/s, %s left, batches of %d\n",
					p.Rows, p.Total, p.RowsPerSecond, p.Remaining.Round(time.Second), p.Batch)
			}
		},
	})
	if err != nil {
		fmt.Fprintln(stderr, "backfill:", err)
		if iterbench.BadInput(err) {
			return 2
		}
		return 1
	}
	how := "done"
	if st.Stopped {
		how = "stopped; run it again to resume"
	}
	if st.Resumed {
		how += " (resumed)"
	}
	fmt.Fprintf(stdout, "%s: %d rows in %d batches (%d–%d rows, p99 %.3f s) in %s\n",
		how, st.Rows, st.Batches, st.RowsMin, st.RowsMax, st.BatchSecondsP99, st.Duration.Round(time.Millisecond))
	return 0
}

// open connects to the database dsn names.
func open(dsn string) (*gorm.DB, error) {
	cfg := &gorm.Config{Logger: logger.Discard}
	var d gorm.Dialector
	switch {
	case strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://"):
		d = postgres.Open(dsn)
	case strings.Contains(dsn, "@tcp("):
		d = mysql.Open(dsn)
	default:
		d = sqlite.Open(dsn + "?_busy_timeout=10000&_journal_mode=WAL")
	}
	db, err := gorm.Open(d, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return db, nil
}
