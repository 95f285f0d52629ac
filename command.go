package iterbench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
	"github.com/iterbench/iterbench/internal/report"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/worker"
)

// Command is a command line for one job, for a program of your own: the
// comparison Bench makes, from flags, with the CLI's exit codes. Call it
// as the whole of main; the program is also its own worker.
//
//	func main() {
//		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
//		defer stop()
//		os.Exit(iterbench.Command(ctx, backfill, iterbench.Options{Rows: 20_000}, os.Args[1:], os.Stdout, os.Stderr))
//	}
//
// Its flags override opts: -dsn, -db, -rows, -strategies (comma-separated),
// -repeats, -batch, -bulk-form, -workers, -timeout, -out, -probe-rate,
// -max-app-p99. It prints the
// recommendation and returns 0; 2 after one line on stderr for bad input
// (a flag, a DSN, a key that allows NULL or is not unique), before anything
// is made; 1 when the measurement failed.
func Command[T any](ctx context.Context, def Job[T], opts Options, args []string, stdout, stderr io.Writer) int {
	j, err := job.Of(def)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if text := os.Getenv(worker.JobEnv); text != "" {
		// Started again by Command below as a worker.
		return worker.Main(ctx, job.Set{j}, []string{"-" + worker.JobFlag, text}, stdout, stderr)
	}
	fs := flag.NewFlagSet(j.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&opts.DSN, "dsn", opts.DSN, "the database (its kind guessed from the form); empty: a SQLite file in a temporary folder")
	fs.StringVar(&opts.DB, "db", opts.DB, "the kind of database: sqlite, postgres or mariadb")
	fs.IntVar(&opts.Rows, "rows", opts.Rows, "rows to seed, or the first rows of the table to copy (0: all)")
	strats := fs.String("strategies", strings.Join(opts.Strategies, ","), "comma-separated strategies; empty: every one that runs the job")
	fs.IntVar(&opts.Repeats, "repeats", opts.Repeats, "passes of every strategy (0: 5)")
	fs.IntVar(&opts.Batch, "batch", opts.Batch, "batch size (0: 1000)")
	fs.StringVar(&opts.BulkForm, "bulk-form", opts.BulkForm, "bulk-update form; empty: the database's fastest")
	fs.IntVar(&opts.Workers, "workers", opts.Workers, "parallel-keyset's workers (0: 4)")
	fs.DurationVar(&opts.Timeout, "timeout", opts.Timeout, "stop a pass that runs longer (0: none)")
	fs.StringVar(&opts.Out, "out", opts.Out, "the results folder; empty: none")
	fs.Float64Var(&opts.ProbeRate, "probe-rate", opts.ProbeRate, "the application probe's operations a second beside every pass (0: none)")
	fs.DurationVar(&opts.MaxAppP99, "max-app-p99", opts.MaxAppP99, "the probe's p99 limit (0: 10 × the idle p99, at least 50ms)")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, "Compares iterbench's strategies on job %s (table %s). Flags:\n", j.Name, j.Table)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return 0
	} else if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", j.Name, err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", j.Name, fs.Args())
		return 2
	}
	opts.Strategies = nil
	if *strats != "" {
		opts.Strategies = strings.Split(*strats, ",")
	}
	if opts.Rows < 0 || opts.Repeats < 0 || opts.Batch < 0 || opts.Workers < 0 || opts.Timeout < 0 || opts.ProbeRate < 0 || opts.MaxAppP99 < 0 {
		fmt.Fprintf(stderr, "%s: -rows, -repeats, -batch, -workers, -timeout, -probe-rate and -max-app-p99 cannot be negative\n", j.Name)
		return 2
	}
	tmp, err := os.MkdirTemp("", "iterbench-"+j.Name+"-")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	start := time.Now()
	s, samples, err := compare(ctx, def, j, opts, tmp, []string{})
	if err != nil {
		msg := strings.ReplaceAll(database.RedactErr(err, opts.DSN), "\n", " ")
		if isInput(err) {
			fmt.Fprintln(stderr, msg)
			return 2
		}
		fmt.Fprintln(stderr, msg)
		return 1
	}
	fmt.Fprint(stdout, report.Recommend(s, samples, nil).Verdict())
	failed := 0
	for _, r := range s.Runs {
		if r.Status != summary.StatusOK {
			failed++
			fmt.Fprintf(stderr, "%s, pass %d: %s: %s\n", r.Strategy, r.Repeat, r.Status, r.Error)
		}
	}
	fmt.Fprintf(stderr, "%d passes in %s\n", len(s.Runs), time.Since(start).Round(time.Second))
	if failed > 0 {
		return 1
	}
	return 0
}
