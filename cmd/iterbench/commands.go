package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/prometheus/procfs"
	"github.com/testcontainers/testcontainers-go/log"
	"golang.org/x/sys/unix"
	"gorm.io/gorm"

	"iterbench/bench"
	"iterbench/container"
	"iterbench/database"
	"iterbench/items"
	"iterbench/lock"
	"iterbench/outdir"
	"iterbench/report"
	"iterbench/seed"
	"iterbench/strategies"
	"iterbench/summary"
	"iterbench/worker"
)

// target is the database a command works on.
type target struct {
	kind database.Kind
	dsn  string
	// server is the container started for the command, if any.
	server *container.Server
	// cleanup releases what opening the target created (a temporary SQLite
	// file, a container); it is never nil once open returned.
	cleanup func()
}

// startFunc starts a containerised server (container.Start, or a fake in tests).
type startFunc func(ctx context.Context, kind database.Kind, image string, logger log.Logger) (*container.Server, error)

// workersFunc makes a launcher of workers in containers (container.NewWorkers,
// or a fake in tests).
type workersFunc func(ctx context.Context, binary string, limit uint64, mounts []string) (*container.Workers, error)

// dbFlags are the flags that choose a database.
type dbFlags struct {
	db, dsn, image string
	start          startFunc
	newWorkers     workersFunc
}

func (f *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.db, "db", "sqlite", "database: sqlite, postgres or mariadb")
	fs.StringVar(&f.dsn, "dsn", "", "an existing database: a file path (sqlite), postgres://… or mysql://…; its password is never printed")
	fs.StringVar(&f.image, "image", "", "container image for postgres or mariadb (default: $"+container.PostgresImageEnv+
		" or $"+container.MariaDBImageEnv+", else "+container.DefaultPostgresImage+" or "+container.DefaultMariaDBImage+")")
	f.start, f.newWorkers = container.Start, container.NewWorkers
}

// kind validates the flags and returns the database kind.
func (f *dbFlags) kind(fs *flag.FlagSet) (database.Kind, error) {
	kind, err := database.ParseKind(f.db)
	if err != nil {
		return "", usageError{err}
	}
	if f.dsn == "" {
		return kind, nil
	}
	fromDSN, err := database.KindOfDSN(f.dsn)
	if err != nil {
		return "", usageError{err}
	}
	dbSet := false
	fs.Visit(func(fl *flag.Flag) { dbSet = dbSet || fl.Name == "db" })
	if dbSet && fromDSN != kind {
		return "", usagef("--db %s does not match --dsn %s, which is %s", kind, database.Redact(f.dsn), fromDSN)
	}
	return fromDSN, nil
}

// open connects to the target, creating a temporary SQLite database when
// no DSN was given. Failing to connect is bad input (exit 2).
func (f *dbFlags) open(ctx context.Context, kind database.Kind, stderr io.Writer) (*gorm.DB, target, error) {
	t := target{kind: kind, dsn: f.dsn, cleanup: func() {}}
	if t.dsn == "" {
		switch kind {
		case database.SQLite:
			dir, err := os.MkdirTemp("", "iterbench-")
			if err != nil {
				return nil, t, fmt.Errorf("create temporary database folder: %w", err)
			}
			t.dsn = filepath.Join(dir, "iterbench.db")
			t.cleanup = func() { os.RemoveAll(dir) }
		default:
			image := f.image
			if image == "" {
				image = container.Image(kind)
			}
			removeOrphans(ctx, stderr)
			server, err := f.start(ctx, kind, image, nil)
			switch {
			case errors.Is(err, container.ErrNoDocker):
				return nil, t, usagef("--db %s starts a container, but %v; use --db sqlite, or --dsn to reach an existing server", kind, err)
			case errors.Is(err, container.ErrNoImage):
				return nil, t, usageError{err}
			case err != nil:
				return nil, t, err
			}
			t.server, t.dsn = server, server.DSN
			t.cleanup = func() {
				if err := server.Terminate(context.Background()); err != nil {
					fmt.Fprintf(stderr, "iterbench: %v\n", err)
				}
			}
		}
	}
	db, err := database.Open(ctx, kind, t.dsn)
	if err != nil {
		t.cleanup()
		t.cleanup = func() {}
		if t.server != nil {
			return nil, t, err // our own container failed, not the user's input
		}
		return nil, t, usageError{err}
	}
	// One run per database: a second one would reset and reseed the table
	// under the first.
	lk, err := lock.Acquire(ctx, db, sqlitePath(t.dsn), lock.Self())
	if err != nil {
		database.Close(db)
		t.cleanup()
		t.cleanup = func() {}
		if errors.Is(err, lock.ErrHeld) {
			return nil, t, usageError{err}
		}
		return nil, t, err
	}
	closeTarget := t.cleanup
	t.cleanup = func() { lk.Release(); closeTarget() }
	return db, t, nil
}

// removeOrphans removes the containers of earlier iterbench processes that
// died without cleaning up, and says so in one line. Where Docker cannot be
// reached it does nothing: starting a container then reports that.
func removeOrphans(ctx context.Context, stderr io.Writer) {
	r, err := container.RemoveOrphans(ctx)
	switch {
	case errors.Is(err, container.ErrNoDocker):
	case err != nil:
		fmt.Fprintf(stderr, "iterbench: %v\n", err)
	case r.Containers > 0:
		fmt.Fprintf(stderr, "iterbench: %s\n", r)
	}
}

// checkSpace refuses a table that would not fit where it is to live: in
// the SQLite file's folder, or in the memory behind the containers' tmpfs
// (half the machine's, Docker's default). A server named by --dsn is not
// judged: its disks are not visible from here.
func checkSpace(kind database.Kind, dsn string, rows, payload int) error {
	need := seed.Estimate(rows, payload)
	var free uint64
	var where string
	switch {
	case kind == database.SQLite:
		where = os.TempDir()
		if dsn != "" {
			where = filepath.Dir(sqlitePath(dsn))
		}
		var st unix.Statfs_t
		if err := unix.Statfs(where, &st); err != nil {
			return nil // the folder's problems are reported when it is opened
		}
		free = st.Bavail * uint64(st.Bsize)
	case dsn == "":
		mem, err := procfs.NewDefaultFS()
		if err != nil {
			return nil
		}
		info, err := mem.Meminfo()
		if err != nil || info.MemTotalBytes == nil {
			return nil
		}
		free, where = *info.MemTotalBytes/2, "the containers' tmpfs (half of this machine's memory)"
	default:
		return nil
	}
	if need > free {
		return usagef("a table of %s rows with %s-byte documents needs about %s (rows, index, and the row versions or log an update "+
			"of every row writes), more than the %s free in %s; give fewer --rows or a smaller --payload",
			summary.Thousands(int64(rows)), summary.Thousands(int64(payload)), humanize.IBytes(need), humanize.IBytes(free), where)
	}
	return nil
}

// sqlitePath is the file a SQLite DSN names.
func sqlitePath(dsn string) string {
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	return path
}

// benchFlags are the flags shared by run and sweep.
type benchFlags struct {
	dbFlags
	batch, payload, repeats, workers  int
	strategies, out, bulkForm         string
	rssLimit, memoryLimit, goMemLimit string
	interval, timeout                 time.Duration
	shuffleSeed, dataSeed             uint64
}

func (f *benchFlags) register(fs *flag.FlagSet, repeats int) {
	f.dbFlags.register(fs)
	fs.IntVar(&f.batch, "batch", strategies.DefaultBatchSize, "rows per page or bulk statement")
	fs.IntVar(&f.payload, "payload", items.DefaultPayload, "size in bytes of each row's JSON document")
	fs.IntVar(&f.repeats, "repeats", repeats, "runs of each strategy")
	fs.IntVar(&f.workers, "workers", strategies.DefaultWorkers, "concurrent workers of parallel-keyset")
	fs.StringVar(&f.strategies, "strategies", "all", "comma-separated strategy names, or all (see iterbench list)")
	fs.DurationVar(&f.interval, "interval", bench.DefaultInterval, "RSS sampling interval")
	fs.StringVar(&f.memoryLimit, "memory-limit", "", "run each worker in a container with this memory limit and no swap (e.g. 128MiB; needs Docker): "+
		"the kernel's OOM killer ends a worker that needs more, and the run is recorded as oom-killed")
	fs.StringVar(&f.rssLimit, "rss-limit", "", "without Docker: kill a worker whose sampled RSS crosses this (e.g. 128MiB), an emulation of --memory-limit; the run is recorded as killed")
	fs.StringVar(&f.goMemLimit, "gomemlimit", worker.MemLimitOff, "the workers' GOMEMLIMIT: off, auto (90 % of the memory limit) or a size such as 100MiB")
	fs.DurationVar(&f.timeout, "timeout", 0, "stop a run that takes longer (e.g. 5m); the run is recorded as timeout (default: no limit)")
	fs.StringVar(&f.bulkForm, "bulk-form", "", "bulk-update form: values, case, upsert or unnest (default: the fastest measured for the database)")
	fs.Uint64Var(&f.shuffleSeed, "shuffle-seed", 0, "seed of the per-repeat strategy order (default: random; recorded in the results)")
	fs.Uint64Var(&f.dataSeed, "seed", seed.DefaultSeed, "seed of the generated rows")
}

// config validates the flags (rows excepted) and returns the benchmark
// configuration without its database, and the results folder.
func (f *benchFlags) config(fs *flag.FlagSet, outDefault string) (bench.Config, error) {
	var cfg bench.Config
	if err := positive(map[string]int{"batch": f.batch, "payload": f.payload, "repeats": f.repeats, "workers": f.workers}); err != nil {
		return cfg, err
	}
	if f.interval <= 0 {
		return cfg, usagef("--interval must be positive, got %v", f.interval)
	}
	if f.timeout < 0 {
		return cfg, usagef("--timeout must not be negative, got %v", f.timeout)
	}
	if err := f.limits(&cfg); err != nil {
		return cfg, err
	}
	strats, err := strategies.Parse(f.strategies)
	if err != nil {
		return cfg, usageError{err}
	}
	kind, err := f.kind(fs)
	if err != nil {
		return cfg, err
	}
	form, err := strategies.ResolveBulkForm(kind.Dialect(), strategies.BulkForm(f.bulkForm))
	if err != nil {
		return cfg, usageError{err}
	}
	if f.out == "" {
		f.out = filepath.Join("results", outDefault+string(kind))
	}
	if err := checkWritable(f.out); err != nil {
		return cfg, usageError{err}
	}
	if f.shuffleSeed == 0 {
		f.shuffleSeed = randomSeed()
	}
	cfg.Kind, cfg.Batch, cfg.Payload, cfg.DataSeed, cfg.Repeats = kind, f.batch, f.payload, f.dataSeed, f.repeats
	cfg.Strategies, cfg.BulkForm, cfg.Interval, cfg.ShuffleSeed = strats, form, f.interval, f.shuffleSeed
	cfg.Workers, cfg.Timeout = f.workers, f.timeout
	return cfg, nil
}

// limits parses --memory-limit, --rss-limit and --gomemlimit into cfg.
func (f *benchFlags) limits(cfg *bench.Config) error {
	size := func(flag, v string) (uint64, error) {
		if v == "" {
			return 0, nil
		}
		n, err := humanize.ParseBytes(v)
		if err != nil || n == 0 {
			return 0, usagef("--%s %q is not a size such as 128MiB", flag, v)
		}
		return n, nil
	}
	var err error
	if cfg.RSSLimit, err = size("rss-limit", f.rssLimit); err != nil {
		return err
	}
	if cfg.MemoryLimit, err = size("memory-limit", f.memoryLimit); err != nil {
		return err
	}
	if cfg.RSSLimit > 0 && cfg.MemoryLimit > 0 {
		return usagef("give --memory-limit (the kernel enforces it, in containers) or --rss-limit (an emulation without Docker), not both")
	}
	switch f.goMemLimit {
	case worker.MemLimitOff, "":
		cfg.GoMemLimit = worker.MemLimitOff
	case worker.MemLimitAuto:
		switch {
		case cfg.MemoryLimit > 0:
			// The worker finds its container's limit itself, as a Go
			// program using automemlimit in a pod does.
			cfg.GoMemLimit = worker.MemLimitAuto
		case cfg.RSSLimit > 0:
			cfg.GoMemLimit = strconv.FormatUint(uint64(0.9*float64(cfg.RSSLimit)), 10)
		default:
			return usagef("--gomemlimit auto takes 90 %% of the memory limit: give --memory-limit or --rss-limit too")
		}
	default:
		n, err := size("gomemlimit", f.goMemLimit)
		if err != nil {
			return usagef("--gomemlimit %q is neither off, auto nor a size such as 100MiB", f.goMemLimit)
		}
		cfg.GoMemLimit = strconv.FormatUint(n, 10)
	}
	return nil
}

// connect opens the target, completes cfg with it, and returns the
// launcher of worker processes, which t.cleanup closes.
func (f *benchFlags) connect(ctx context.Context, cfg *bench.Config, stderr io.Writer) (*gorm.DB, target, worker.Launcher, error) {
	bin, err := worker.Find(ctx, stderr)
	if err != nil {
		return nil, target{cleanup: func() {}}, nil, err
	}
	db, t, err := f.open(ctx, cfg.Kind, stderr)
	if err != nil {
		return nil, t, nil, err
	}
	cfg.Kind, cfg.DSN = t.kind, t.dsn
	if t.server != nil {
		cfg.Image, cfg.ServerCommand, cfg.StartSeconds = t.server.Image, t.server.Command, t.server.StartSeconds
	}
	var l worker.Launcher
	if cfg.MemoryLimit > 0 {
		var mounts []string
		if cfg.Kind == database.SQLite {
			// The workers see the database file at the same path.
			abs, err := filepath.Abs(cfg.DSN)
			if err == nil {
				cfg.DSN = abs
				mounts = []string{filepath.Dir(abs)}
			}
		}
		if t.server == nil {
			removeOrphans(ctx, stderr)
		}
		l, err = f.newWorkers(ctx, bin, cfg.MemoryLimit, mounts)
		if errors.Is(err, container.ErrNoDocker) {
			err = usagef("--memory-limit runs each worker in a container, but %v; use --rss-limit to emulate the limit without Docker", err)
		}
	} else {
		l, err = worker.NewLocal(bin)
	}
	if err != nil {
		database.Close(db)
		t.cleanup()
		return nil, target{cleanup: func() {}}, nil, err
	}
	closeTarget := t.cleanup
	t.cleanup = func() { l.Close(); closeTarget() }
	return db, t, l, nil
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var f benchFlags
	f.register(fs, bench.DefaultRepeats)
	rows := fs.Int("rows", seed.DefaultRows, "rows in the table")
	fs.StringVar(&f.out, "out", "", "results folder (default results/<db>)")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if err := positive(map[string]int{"rows": *rows}); err != nil {
		return err
	}
	cfg, err := f.config(fs, "")
	if err != nil {
		return err
	}
	cfg.Rows = *rows
	if err := checkSpace(cfg.Kind, f.dsn, cfg.Rows, cfg.Payload); err != nil {
		return err
	}
	db, t, launcher, err := f.connect(ctx, &cfg, stderr)
	if err != nil {
		return err
	}
	defer t.cleanup()
	defer database.Close(db)

	s, samples, runErr := bench.Run(ctx, db, cfg, launcher, newProgress(stderr))
	if s == nil {
		return inputError(runErr)
	}
	if err := outdir.Replace(f.out, nil, func(tmp string) error { return writeResults(tmp, s, samples) }); err != nil {
		return err
	}
	printTable(stdout, s, f.out)
	return outcomeError(runErr, []*summary.Summary{s}, f.out)
}

func sweepCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	var f benchFlags
	f.register(fs, 1)
	rowsList := fs.String("rows", "10000,50000,200000,1000000", "comma-separated row counts")
	fs.StringVar(&f.out, "out", "", "sweep folder, one subfolder per row count (default results/sweep-<db>)")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	sizes, err := parseRows(*rowsList)
	if err != nil {
		return err
	}
	cfg, err := f.config(fs, "sweep-")
	if err != nil {
		return err
	}
	if err := checkSpace(cfg.Kind, f.dsn, slices.Max(sizes), cfg.Payload); err != nil {
		return err
	}
	db, t, launcher, err := f.connect(ctx, &cfg, stderr)
	if err != nil {
		return err
	}
	defer t.cleanup()
	defer database.Close(db)

	// The whole sweep is built beside --out and put in its place at the end,
	// with what was measured if it was stopped.
	var done []*summary.Summary
	var runErr error
	errNothing := errors.New("nothing measured")
	err = outdir.Replace(f.out, nil, func(tmp string) error {
		runErr = bench.Sweep(ctx, db, cfg, sizes, launcher, newProgress(stderr),
			func(s *summary.Summary, samples []summary.SampleRow) error {
				sub := report.SweepDir(s.Config.Rows)
				if err := writeResults(filepath.Join(tmp, sub), s, samples); err != nil {
					return err
				}
				done = append(done, s)
				fmt.Fprintf(stdout, "%s rows:\n", summary.Thousands(int64(s.Config.Rows)))
				printTable(stdout, s, filepath.Join(f.out, sub))
				return nil
			})
		if len(done) == 0 {
			return errNothing
		}
		return report.WriteSweep(tmp, done)
	})
	if errors.Is(err, errNothing) {
		return inputError(runErr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sweep report in %s\n", filepath.Join(f.out, report.File))
	return outcomeError(runErr, done, f.out)
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
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n <= 0 {
			return nil, usagef("--rows %q: %q is not a positive number", list, part)
		}
		out = append(out, n)
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

func seedCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	var f dbFlags
	f.register(fs)
	rows := fs.Int("rows", seed.DefaultRows, "rows in the table")
	payload := fs.Int("payload", items.DefaultPayload, "size in bytes of each row's JSON document")
	dataSeed := fs.Uint64("seed", seed.DefaultSeed, "seed of the generated rows")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if err := positive(map[string]int{"rows": *rows, "payload": *payload}); err != nil {
		return err
	}
	kind, err := f.kind(fs)
	if err != nil {
		return err
	}
	if kind == database.SQLite && f.dsn == "" {
		return usagef("seed --db sqlite needs --dsn, the database file to fill")
	}
	if err := checkSpace(kind, f.dsn, *rows, *payload); err != nil {
		return err
	}
	db, t, err := f.open(ctx, kind, stderr)
	if err != nil {
		return err
	}
	defer t.cleanup()
	defer database.Close(db)
	p := newProgress(stderr)
	p.Start("seed", int64(*rows))
	st, err := seed.Seed(ctx, db, seed.Config{Rows: *rows, Payload: *payload, Seed: *dataSeed, Progress: p.Set})
	p.Finish()
	if err != nil {
		return inputError(err)
	}
	fmt.Fprintf(stdout, "seeded %s rows into %s (%s) in %s\n", summary.Thousands(st.Rows), items.Table, database.Redact(t.dsn), summary.Seconds(st.Duration.Seconds()))
	return nil
}

func plotCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("plot needs one results folder, got %d arguments", fs.NArg())
	}
	dir := fs.Arg(0)
	if _, err := os.Stat(filepath.Join(dir, summary.SummaryFile)); err != nil {
		// Not a run: a sweep folder, whose row counts are redrawn one by one.
		ss, sms, serr := report.ReadSweep(dir)
		if serr != nil {
			return usageError{fmt.Errorf("%s: neither a results folder (%v) nor a sweep folder", dir, err)}
		}
		err := outdir.Replace(dir, outdir.KeepAll, func(tmp string) error {
			for i, s := range ss {
				if err := report.Write(filepath.Join(tmp, report.SweepDir(s.Config.Rows)), s, sms[i]); err != nil {
					return err
				}
			}
			return report.WriteSweep(tmp, ss)
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "redrew the sweep charts and reports in %s\n", dir)
		return nil
	}
	s, samples, err := summary.Read(dir)
	if err != nil {
		return usageError{err}
	}
	if err := outdir.Replace(dir, outdir.KeepAll, func(tmp string) error { return report.Write(tmp, s, samples) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "redrew charts and %s in %s\n", report.File, dir)
	return nil
}

func compareCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	out := fs.String("out", filepath.Join("results", report.CompareFile), "file to write the comparison to")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return usagef("compare needs at least two results folders, got %d", fs.NArg())
	}
	var ss []*summary.Summary
	var rel []string
	for _, dir := range fs.Args() {
		s, _, err := summary.Read(dir)
		if err != nil {
			return usageError{err}
		}
		ss = append(ss, s)
		r, err := filepath.Rel(filepath.Dir(*out), dir)
		if err != nil {
			r = dir
		}
		rel = append(rel, r)
	}
	if err := checkWritable(filepath.Dir(*out)); err != nil {
		return usageError{err}
	}
	if err := summary.WriteFile(*out, report.Compare(rel, ss)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return nil
}

func listCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, s := range strategies.All() {
		var only []string
		for _, k := range database.Kinds() {
			if strategies.Supported(s, k.Dialect()) {
				only = append(only, string(k))
			}
		}
		note := ""
		if len(only) < len(database.Kinds()) {
			note = " (" + strings.Join(only, ", ") + " only)"
		}
		fmt.Fprintf(tw, "%s\t%s%s\n", s.Name(), s.Description(), note)
	}
	return tw.Flush()
}

func positive(vals map[string]int) error {
	for _, name := range []string{"rows", "batch", "payload", "repeats", "workers"} {
		if v, ok := vals[name]; ok && v <= 0 {
			return usagef("--%s must be positive, got %d", name, v)
		}
	}
	return nil
}

// checkWritable reports whether dir is, or can be created as, a writable
// folder, without leaving anything behind.
func checkWritable(dir string) error {
	probe := dir
	for {
		fi, err := os.Stat(probe)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("--out %s: %s is not a folder", dir, probe)
			}
			break
		}
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return fmt.Errorf("--out %s: %w", dir, err)
		}
		parent := filepath.Dir(probe)
		if parent == probe {
			break
		}
		probe = parent
	}
	f, err := os.CreateTemp(probe, ".iterbench-probe-*")
	if err != nil {
		return fmt.Errorf("--out %s is not writable: %w", dir, errors.Unwrap(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// printTable prints a short table of the results.
func printTable(w io.Writer, s *summary.Summary, dir string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "strategy\tmedian peak RSS\tmedian time\trows/s\truns ok\t\n")
	for _, st := range s.Strategies {
		if st.OK == 0 {
			fmt.Fprintf(tw, "%s\t–\t–\t–\t0/%d %s\t\n", st.Name, st.Runs, failedStatus(s, st.Name))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t\n", st.Name, summary.MiB(st.PeakRSSBytes.Median),
			summary.Seconds(st.DurationSeconds.Median), summary.Thousands(int64(math.Round(st.RowsPerSecond))), st.OK, st.Runs)
	}
	tw.Flush()
	fmt.Fprintf(w, "baseline %s; results in %s (%s)\n", summary.MiB(float64(s.BaselinePeakRSSBytes)), dir, report.File)
}

// failedStatus names the status of a strategy's first run that was not ok.
func failedStatus(s *summary.Summary, name string) string {
	for _, r := range s.Runs {
		if r.Strategy == name && r.Status != summary.StatusOK {
			return r.Status
		}
	}
	return ""
}

// randomSeed returns a non-zero seed.
func randomSeed() uint64 { return rand.Uint64() | 1 }

func cleanCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("clean", flag.ContinueOnError)
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	r, err := container.RemoveAll(ctx)
	if errors.Is(err, container.ErrNoDocker) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	if r.Containers == 0 {
		fmt.Fprintln(stdout, "no iterbench container to remove")
		return nil
	}
	fmt.Fprintf(stdout, "removed %d iterbench container(s) (%s)\n", r.Containers, strings.Join(r.Owners, ", "))
	return nil
}
