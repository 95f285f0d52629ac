package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/analysis"
	"github.com/iterbench/iterbench/internal/bench"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/items"
	"github.com/iterbench/iterbench/internal/outdir"
	"github.com/iterbench/iterbench/internal/report"
	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/units"
	"github.com/iterbench/iterbench/internal/worker"
)

// newRunFlags returns run's flag set, with where its values go: the
// benchmark's flags, --rows and --target-rows. The docs' flags table is
// checked against it (doc_test.go).
func newRunFlags() (*flag.FlagSet, *benchFlags, *int, *countFlag) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	f := new(benchFlags)
	f.register(fs, bench.DefaultRepeats)
	rows := rowsFlag(fs, seed.DefaultRows, "`count` of rows in the table: 50000, 5k, 1.5M")
	target := new(countFlag)
	fs.Var(target, "target-rows", "project every strategy's memory and time to a table of this `count` of rows (30M), "+
		"from a second measurement at another size, and against the memory limit (default: no projection)")
	fs.StringVar(&f.out, "out", "", "results folder (default results/<db>)")
	return fs, f, rows, target
}

// runConfig checks run's parsed flags and returns the benchmark's
// configuration, the results folder, and the rows of the projection's
// second table (0: no projection). It changes nothing and runs nothing.
func runConfig(fs *flag.FlagSet, f *benchFlags, rows, target int) (cfg bench.Config, out string, second int, err error) {
	if err := positive(map[string]int{"rows": rows}); err != nil {
		return cfg, "", 0, err
	}
	if target != 0 && target <= rows {
		return cfg, "", 0, usagef("--target-rows %d must be larger than --rows %d: it is the size to project to", target, rows)
	}
	cfg, out, err = f.config(fs, "")
	if err != nil {
		return cfg, "", 0, err
	}
	cfg.Rows = rows
	if target > 0 {
		if second = projectionRows(cfg.Rows, items.MeanSize(cfg.Payload, cfg.PayloadMax), cfg.Batch, target); second == 0 {
			return cfg, "", 0, usagef("--target-rows %d: no second table size between the measured --rows %d and it to project from", target, cfg.Rows)
		}
	}
	return cfg, out, second, nil
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f, rows, target := newRunFlags()
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	cfg, out, second, err := runConfig(fs, f, *rows, int(*target))
	if err != nil {
		return err
	}
	db, t, launcher, err := f.connect(ctx, &cfg, max(cfg.Rows, second), stderr)
	if err != nil {
		return err
	}
	defer t.cleanup()
	defer database.Close(db)

	s, samples, runErr := bench.Run(ctx, db, cfg, launcher, newProgress(stderr))
	if s == nil {
		return inputError(runErr)
	}
	if second > 0 && runErr == nil {
		s.Projection, runErr = project(ctx, db, cfg, second, int(*target), launcher, newProgress(stderr), stderr)
	}
	t.sayReaper(stderr)
	if err := outdir.Replace(out, nil, func(tmp string) error { return writeResults(tmp, s, samples) }); err != nil {
		return err
	}
	printTable(stdout, s, out)
	fmt.Fprint(stdout, report.Recommend(s, samples, nil).Verdict())
	return outcomeError(runErr, []*summary.Summary{s}, out)
}

// newSweepFlags returns sweep's flag set, with where its values go: the
// benchmark's flags and --rows, a list. The docs' flags table is checked
// against it (doc_test.go).
func newSweepFlags() (*flag.FlagSet, *benchFlags, *string) {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	f := new(benchFlags)
	f.register(fs, 1)
	rowsList := fs.String("rows", "10000,50000,200000,1000000", "comma-separated row counts (10k,50k,200k,1M)")
	fs.StringVar(&f.out, "out", "", "sweep folder, one subfolder per row count (default results/sweep-<db>)")
	return fs, f, rowsList
}

// sweepConfig checks sweep's parsed flags and returns the row counts, the
// benchmark's configuration and the sweep folder. It changes nothing and
// runs nothing.
func sweepConfig(fs *flag.FlagSet, f *benchFlags, rowsList string) (sizes []int, cfg bench.Config, out string, err error) {
	sizes, err = parseRows(rowsList)
	if err != nil {
		return nil, cfg, "", err
	}
	cfg, out, err = f.config(fs, "sweep-")
	if err != nil {
		return nil, cfg, "", err
	}
	return sizes, cfg, out, nil
}

func sweepCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f, rowsList := newSweepFlags()
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	sizes, cfg, out, err := sweepConfig(fs, f, *rowsList)
	if err != nil {
		return err
	}
	db, t, launcher, err := f.connect(ctx, &cfg, slices.Max(sizes), stderr)
	if err != nil {
		return err
	}
	defer t.cleanup()
	defer database.Close(db)

	// The whole sweep is built beside --out and put in its place at the end,
	// with what was measured if it was stopped.
	var done []*summary.Summary
	var lastSamples []summary.SampleRow
	var runErr error
	errNothing := errors.New("nothing measured")
	err = outdir.Replace(out, nil, func(tmp string) error {
		runErr = bench.Sweep(ctx, db, cfg, sizes, launcher, newProgress(stderr),
			func(s *summary.Summary, samples []summary.SampleRow) error {
				sub := report.SweepDir(s.Config.Rows)
				if err := writeResults(filepath.Join(tmp, sub), s, samples); err != nil {
					return err
				}
				done, lastSamples = append(done, s), samples
				fmt.Fprintf(stdout, "%s rows:\n", units.Thousands(int64(s.Config.Rows)))
				printTable(stdout, s, filepath.Join(out, sub))
				return nil
			})
		if len(done) == 0 {
			return errNothing
		}
		t.sayReaper(stderr)
		return report.WriteSweep(tmp, done)
	})
	if errors.Is(err, errNothing) {
		return inputError(runErr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sweep report in %s\n", filepath.Join(out, report.File))
	fmt.Fprint(stdout, report.Recommend(done[len(done)-1], lastSamples, done).Verdict())
	return outcomeError(runErr, done, out)
}

// projectionRows is the size of the second table the projection to target
// rows measures: a quarter of rows (at least four batches) when that is
// large enough to show a strategy that holds the whole table
// (analysis.VisibleRows), else that size, rounded up, above rows; 0 when
// no second size fits below target.
func projectionRows(rows, payload, batch, target int) int {
	visible := analysis.VisibleRows(payload)
	n := max(rows/4, 4*batch, visible)
	if rows < visible {
		n = niceUp(visible)
	}
	if n == rows || n >= target {
		return 0
	}
	return n
}

// project measures every strategy again on a second table of n rows (no
// probe, no --kill-at), for the projection to target rows. An interrupted
// or failed measurement gives no projection.
func project(ctx context.Context, db *gorm.DB, cfg bench.Config, n, target int, l worker.Launcher, pr bench.Progress, stderr io.Writer) (*summary.Projection, error) {
	small := cfg
	small.Rows, small.ProbeRate, small.KillAt = n, 0, 0
	fmt.Fprintf(stderr, "iterbench: measuring every strategy again at %s rows, for the projection to %s rows\n",
		units.Thousands(int64(n)), units.Thousands(int64(target)))
	s, _, err := bench.Run(ctx, db, small, l, pr)
	if s == nil || err != nil {
		return nil, err
	}
	return &summary.Projection{TargetRows: target, Rows: n, BaselinePeakRSSBytes: s.BaselinePeakRSSBytes, Runs: s.Runs}, nil
}

// niceUp rounds n up to two significant digits: 49152 → 50000.
func niceUp(n int) int {
	m := 1
	for n/m >= 100 {
		m *= 10
	}
	return (n + m - 1) / m * m
}

// inputError makes a limit that leaves no worker room, and a table of
// iterbench's name that is not iterbench's, bad input (exit 2): nothing was
// measured or written.
func inputError(err error) error {
	if errors.Is(err, bench.ErrLimitBelowBaseline) || errors.Is(err, seed.ErrNotOurs) || errors.Is(err, seed.ErrTooLarge) {
		return usageError{err}
	}
	return err
}

// parseRows parses a comma-separated list of positive row counts.
func parseRows(list string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(list, ",") {
		var n countFlag
		if err := n.Set(part); err != nil || n <= 0 {
			return nil, usagef("--rows %q: %q is not a positive number", list, part)
		}
		out = append(out, int(n))
	}
	return out, nil
}

// writeResults writes a run's files into dir.
func writeResults(dir string, s *summary.Summary, samples []summary.SampleRow) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := summary.Write(dir, s, samples); err != nil {
		return err
	}
	return report.Write(dir, s, samples)
}

// outcomeError turns how a benchmark ended into the command's error: runs
// that were killed by --rss-limit or stopped by --timeout are measurements,
// not failures; runs with status error are.
func outcomeError(runErr error, ss []*summary.Summary, out string) error {
	if errors.Is(runErr, bench.ErrInterrupted) {
		return fmt.Errorf("%w: incomplete results written to %s", bench.ErrInterrupted, out)
	}
	if runErr != nil {
		return fmt.Errorf("%w; what was measured is in %s", runErr, out)
	}
	failed, total := 0, 0
	for _, s := range ss {
		for _, r := range s.Runs {
			total++
			if r.Status == summary.StatusError {
				failed++
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d runs failed; see %s", failed, total, filepath.Join(out, report.File))
	}
	return nil
}
