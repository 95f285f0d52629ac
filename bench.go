package iterbench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/bench"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
	"github.com/iterbench/iterbench/internal/outdir"
	"github.com/iterbench/iterbench/internal/report"
	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/source"
	"github.com/iterbench/iterbench/internal/strategies"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/worker"
)

// DefaultRepeats is Options.Repeats' default.
const DefaultRepeats = 5

// Options says where and how Bench measures a job: what the CLI's flags
// say for its own table.
type Options struct {
	// DB is the kind of database: "sqlite" (the default), "postgres" or
	// "mariadb". Without a DSN it must be "sqlite": a file in a temporary
	// folder.
	DB string
	// DSN, if set, is the database to connect to; its kind is DB, or
	// guessed from the DSN's form. Its password is never written out.
	DSN string
	// Rows is the number of rows: those Seed inserts into a fresh table,
	// or, without Seed, the first Rows rows of the job's table in key order
	// (0: all of them) copied for the measurement.
	Rows int
	// Seed, if set, fills the job's table, which iterbench creates from T
	// and drops at the end, with rows rows; db is set to that table
	// (db.Create(&rows) writes there). The table must not exist, or be one
	// iterbench made (a run that was killed left it). Without Seed the
	// job's table must exist: it is only read.
	Seed func(ctx context.Context, db *gorm.DB, rows int) error
	// Strategies names the strategies to compare; empty: every one that
	// runs the job on the database.
	Strategies []string
	// Repeats is the number of passes of every strategy; default 5, the
	// fewest with which the recommendation's test (Mann-Whitney U at
	// α = 0.05) can tell two strategies apart.
	Repeats int
	// Batch is the batch size; default 1000.
	Batch int
	// BulkForm is the bulk-update form ("values", "case", "upsert",
	// "unnest"); empty: the database's fastest.
	BulkForm string
	// Workers is parallel-keyset's number of workers; default 4.
	Workers int
	// RSSLimit, if not zero, kills a worker whose resident memory crosses
	// it (bytes), as a container's memory limit would.
	RSSLimit uint64
	// Timeout, if not zero, stops a pass that runs longer.
	Timeout time.Duration
	// ProbeRate, if not zero, runs the application probe beside every
	// pass at this many operations a second (the CLI's default is 200):
	// on its own connections it reads the job's first written column of a
	// row drawn from a sample of keys, or writes it back as it is (taking
	// the row's lock), and the recommendation ranks a strategy whose
	// probe p99 exceeds MaxAppP99 after those that pass.
	ProbeRate float64
	// MaxAppP99 is the probe's p99 limit; zero: 10 × the idle probe's
	// p99, at least 50 ms.
	MaxAppP99 time.Duration
	// Out, if set, is the folder the results are written to (replaced as
	// a whole): summary.json, samples.csv, REPORT.md and the charts.
	Out string
}

// Main runs the tests of a test binary that calls Bench, and is also how
// that binary runs as a worker: call it from TestMain.
//
//	func TestMain(m *testing.M) { iterbench.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if os.Getenv(worker.JobEnv) != "" {
		// Started as a worker, but no Bench took the job.
		fmt.Fprintf(os.Stderr, "iterbench worker: the benchmark that started this worker did not call iterbench.Bench\n")
		os.Exit(2)
	}
	os.Exit(code)
}

// Worker reports whether this process is one of the workers Bench or
// Command started: the test binary, or the program, started again for one
// pass. What a benchmark does before calling Bench runs again in every
// worker; a benchmark that starts something costly (a database container)
// should skip it when Worker is true.
func Worker() bool { return os.Getenv(worker.JobEnv) != "" }

// Bench compares the strategies on j, one sub-benchmark per strategy
// (strategy=keyset-bulk …), each pass in a worker process of its own; see
// the package documentation. It fails b when a pass fails or a row is
// wrong.
func Bench[T any](b *testing.B, def Job[T], opts Options) {
	j, err := job.Of(def)
	if err != nil {
		b.Fatal(err)
	}
	if text := os.Getenv(worker.JobEnv); text != "" {
		// This process is a worker the parent Bench started: run the pass
		// and leave, before the testing package reports anything.
		code := worker.Main(b.Context(), job.Set{j}, []string{"-" + worker.JobFlag, text}, os.Stdout, os.Stderr)
		os.Exit(code)
	}
	args := []string{"-test.run=^$", "-test.bench=" + benchPattern(b.Name()), "-test.benchtime=1x", "-test.count=1"}
	// Ctrl-C stops the comparison after removing what it made, instead of
	// killing the process first. go test's own -timeout (10 minutes by
	// default) panics without clean-up: run with -timeout 0.
	ctx, stop := signal.NotifyContext(b.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, _, err := compare(ctx, def, j, opts, b.TempDir(), args)
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range s.Config.Strategies {
		var runs []summary.Run
		for _, r := range s.Runs {
			if r.Strategy == name {
				runs = append(runs, r)
			}
		}
		if len(runs) == 0 {
			continue
		}
		b.Run("strategy="+name, func(b *testing.B) {
			var secs, peaks, rates []float64
			for _, r := range runs {
				if r.Status != summary.StatusOK {
					b.Errorf("%s: pass %d: %s: %s", name, r.Repeat, r.Status, r.Error)
					continue
				}
				secs, peaks = append(secs, r.DurationSeconds), append(peaks, float64(r.PeakRSSBytes))
				if r.DurationSeconds > 0 {
					rates = append(rates, float64(r.Rows)/r.DurationSeconds)
				}
			}
			if len(secs) == 0 {
				return
			}
			b.ReportMetric(summary.NewStat(secs).Median*1e9, "ns/op")
			b.ReportMetric(summary.NewStat(peaks).Median, "peak-RSS-bytes")
			b.ReportMetric(summary.NewStat(rates).Median, "rows/s")
		})
	}
}

// inputError marks an error that is the caller's input, not a failure of
// the measurement: a bad option, a key that is no key.
type inputError struct{ err error }

func (e inputError) Error() string { return e.err.Error() }
func (e inputError) Unwrap() error { return e.err }

// isInput reports whether err is the caller's input.
func isInput(err error) bool { return errors.As(err, new(inputError)) }

// BadInput reports whether an error of Run or Command is the caller's
// input — the job's declaration, a key that allows NULL or is not unique,
// an option — rather than a failure while running: a command answers it
// with exit 2.
func BadInput(err error) bool { return isInput(err) }

// compare sets up the job's table (seeded, or the user's), measures every
// strategy on a copy of it, writes the results into opts.Out and cleans
// up what it created. The workers are this executable started again with
// workerArgs (and the job in the environment); tmp holds a SQLite file when
// no DSN is given.
func compare[T any](ctx context.Context, def Job[T], j *job.Job, opts Options, tmp string, workerArgs []string) (s *summary.Summary, samples []summary.SampleRow, err error) {
	kind, dsn, err := target(tmp, opts)
	if err != nil {
		return nil, nil, inputError{err}
	}
	db, err := database.Open(ctx, kind, dsn)
	if err != nil {
		return nil, nil, err
	}
	defer database.Close(db)
	if opts.Seed != nil {
		ours, err := seed.Owned(ctx, db, j.Table)
		if err != nil {
			return nil, nil, err
		}
		if !ours {
			return nil, nil, inputError{fmt.Errorf("job %s: table %s exists and iterbench did not create it, so it was left untouched; with Options.Seed iterbench creates the table itself (drop it, give Job.Table another name, or give no Seed to measure a copy of it)", j.Name, j.Table)}
		}
		// Ours, left by a run that was killed: made again.
		if err := db.WithContext(ctx).Exec("DROP TABLE IF EXISTS " + database.Quote(kind, j.Table)).Error; err != nil {
			return nil, nil, fmt.Errorf("job %s: drop %s: %w", j.Name, j.Table, err)
		}
		if err := seed.MarkOwned(ctx, db, j.Table); err != nil {
			return nil, nil, err
		}
		defer func() {
			ctx := context.WithoutCancel(ctx)
			derr := db.WithContext(ctx).Exec("DROP TABLE IF EXISTS " + database.Quote(kind, j.Table)).Error
			err = errors.Join(err, derr, seed.Disown(ctx, db, j.Table), seed.DropIfEmpty(ctx, db, seed.OwnerTable))
		}()
		var zero T
		if err := db.WithContext(ctx).Table(j.Table).AutoMigrate(&zero); err != nil {
			return nil, nil, fmt.Errorf("job %s: create %s: %w", j.Name, j.Table, err)
		}
		if err := opts.Seed(ctx, db.WithContext(ctx).Table(j.Table), opts.Rows); err != nil {
			return nil, nil, fmt.Errorf("job %s: seed: %w", j.Name, err)
		}
	}
	if err := source.CheckKey(ctx, db, j); err != nil {
		return nil, nil, inputError{err}
	}
	copied := source.New(j, 0)
	if opts.Seed == nil {
		copied.Rows = opts.Rows
	}
	defer func() { err = errors.Join(err, copied.Remove(context.WithoutCancel(ctx), db)) }()
	if err := copied.Reset(ctx, db); err != nil {
		return nil, nil, err
	}
	var ss []strategies.Strategy
	if len(opts.Strategies) == 0 {
		ss = strategies.All()
	} else if ss, err = strategies.Parse(strings.Join(opts.Strategies, ",")); err != nil {
		return nil, nil, inputError{err}
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	l, err := worker.NewLocal(exe)
	if err != nil {
		return nil, nil, err
	}
	defer l.Close()
	l.Args = workerArgs
	cfg := bench.Config{
		Job: j, Table: copied, Kind: kind, DSN: dsn, Rows: int(copied.Copied()),
		Batch: opts.Batch, BulkForm: strategies.BulkForm(opts.BulkForm), Workers: opts.Workers,
		Repeats: opts.Repeats, Strategies: ss, Interval: bench.DefaultInterval,
		RSSLimit: opts.RSSLimit, Timeout: opts.Timeout, ShuffleSeed: 1, DataSeed: 1,
		ProbeRate: opts.ProbeRate, MaxAppP99: opts.MaxAppP99,
	}
	if cfg.Repeats == 0 {
		cfg.Repeats = DefaultRepeats
	}
	if cfg.Batch == 0 {
		cfg.Batch = strategies.DefaultBatchSize
	}
	s, samples, err = bench.Run(ctx, db, cfg, l, nil)
	if err != nil {
		return nil, nil, err
	}
	if opts.Out != "" {
		// Written whole into a temporary folder, then renamed into place:
		// never a half-written folder.
		err := outdir.Replace(opts.Out, nil, func(tmp string) error {
			if err := summary.Write(tmp, s, samples); err != nil {
				return err
			}
			return report.Write(tmp, s, samples)
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return s, samples, nil
}

// target returns the database to measure on; tmp holds a SQLite file.
func target(tmp string, opts Options) (database.Kind, string, error) {
	kind, err := database.SQLite, error(nil)
	switch {
	case opts.DB != "":
		kind, err = database.ParseKind(opts.DB)
	case opts.DSN != "":
		kind, err = database.KindOfDSN(opts.DSN)
	}
	if err != nil {
		return "", "", fmt.Errorf("Options: %w", err)
	}
	if opts.DSN != "" {
		return kind, opts.DSN, nil
	}
	if f, _ := database.FactsOf(kind); !f.Embedded {
		return "", "", fmt.Errorf("Options: DB %s needs a DSN", kind)
	}
	return kind, filepath.Join(tmp, "iterbench.db"), nil
}

// benchPattern is the -test.bench pattern that selects exactly the
// benchmark called name (with its sub-benchmarks' parts).
func benchPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}
