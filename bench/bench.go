// Package bench measures strategies: it seeds the table, runs each strategy
// in a worker process of its own while sampling the worker's RSS, verifies
// every row afterwards, and assembles the results.
package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/prometheus/procfs"
	"gorm.io/gorm"

	"iterbench/database"
	"iterbench/rss"
	"iterbench/seed"
	"iterbench/strategies"
	"iterbench/summary"
)

// Config describes a benchmark run.
type Config struct {
	Kind database.Kind
	// DSN is what workers connect to; it is never written out with its password.
	DSN        string
	Rows       int
	Batch      int
	Payload    int
	DataSeed   uint64
	Repeats    int
	Strategies []strategies.Strategy
	// BulkForm overrides the database's default bulk-update form.
	BulkForm strategies.BulkForm
	// Interval is the RSS sampling interval.
	Interval time.Duration
	// ShuffleSeed selects the order of strategies in each repeat.
	ShuffleSeed uint64
	// Workers is the worker count of parallel strategies.
	Workers int
	// RSSLimit, if not zero, kills a worker whose RSS crosses it (bytes).
	RSSLimit uint64
	// Timeout, if not zero, stops a worker that runs longer.
	Timeout time.Duration
	// Image, ServerCommand and StartSeconds describe the container the
	// server runs in, if iterbench started one.
	Image         string
	ServerCommand string
	StartSeconds  float64
}

// Defaults for Config fields.
const (
	DefaultRepeats  = 3
	DefaultInterval = 10 * time.Millisecond
)

// Progress is told what long work is under way.
type Progress interface {
	// Start begins a stage of total units (rows).
	Start(label string, total int64)
	// Set reports the units done so far in the current stage.
	Set(done int64)
	// Finish ends the current stage.
	Finish()
}

// NoProgress discards progress.
type NoProgress struct{}

// Start implements Progress.
func (NoProgress) Start(string, int64) {}

// Set implements Progress.
func (NoProgress) Set(int64) {}

// Finish implements Progress.
func (NoProgress) Finish() {}

// ErrInterrupted is returned by Run when ctx was cancelled: the summary it
// returns alongside holds what was measured until then.
var ErrInterrupted = errors.New("interrupted")

// Run seeds the table in db, measures the baseline worker, then runs every
// strategy Repeats times (in a shuffled order per repeat), each in its own
// worker started by l, verifying the table after every run. A run that fails
// is recorded with status error and the benchmark goes on, unless the table
// cannot even be reset for the next run (the server has gone away): then Run
// stops and returns what it has, marked incomplete, with that error. When
// ctx is cancelled, Run returns what it has, marked incomplete, and
// ErrInterrupted.
func Run(ctx context.Context, db *gorm.DB, cfg Config, l Launcher, p Progress) (*summary.Summary, []summary.SampleRow, error) {
	if p == nil {
		p = NoProgress{}
	}
	s := &summary.Summary{Config: describe(ctx, db, cfg)}
	var samples []summary.SampleRow

	p.Start("seed", int64(cfg.Rows))
	st, err := seed.Seed(ctx, db, seed.Config{Rows: cfg.Rows, Payload: cfg.Payload, Seed: cfg.DataSeed, Progress: p.Set})
	p.Finish()
	if err != nil {
		if ctx.Err() != nil {
			return s, nil, ErrInterrupted
		}
		return nil, nil, fmt.Errorf("seed: %w", err)
	}
	s.SeedSeconds, s.Config.SeedMethod = st.Duration.Seconds(), st.Method

	base := spawn(ctx, l, job{Kind: cfg.Kind, DSN: cfg.DSN, Hold: baselineHold(cfg.Interval)}, limits{Interval: cfg.Interval}, nil)
	if ctx.Err() != nil {
		return s, nil, ErrInterrupted
	}
	if base.Err != nil {
		return nil, nil, fmt.Errorf("baseline worker: %w", base.Err)
	}
	s.BaselinePeakRSSBytes, _ = rss.Peak(base.Samples)
	s.BaselineKernelMaxRSSBytes = base.HWM

	var runnable []strategies.Strategy
	for _, st := range cfg.Strategies {
		if strategies.Supported(st, cfg.Kind.Dialect()) {
			runnable = append(runnable, st)
		} else {
			s.Unsupported = append(s.Unsupported, st.Name())
		}
	}
	names := strategies.Names(runnable)
	desc := map[string]string{}
	for _, st := range runnable {
		desc[st.Name()] = st.Description()
	}
	interrupted := false
	var aborted error
repeats:
	for rep := 1; rep <= cfg.Repeats; rep++ {
		for i, strat := range Order(runnable, cfg.ShuffleSeed, rep) {
			p.Start(fmt.Sprintf("%d/%d %s", rep, cfg.Repeats, strat.Name()), int64(cfg.Rows))
			run, smp, err := Measure(ctx, db, l, cfg, strat.Name(), p.Set)
			p.Finish()
			run.Repeat, run.Order = rep, i+1
			s.Runs = append(s.Runs, run)
			for _, x := range smp {
				samples = append(samples, summary.SampleRow{Strategy: run.Strategy, Repeat: rep,
					T: x.T.Seconds(), RSS: x.Usage.RSS, HWM: x.Usage.HWM})
			}
			if run.Status == summary.StatusInterrupted {
				interrupted = true
				break repeats
			}
			if err != nil {
				aborted = fmt.Errorf("stopped after %d runs: %w", len(s.Runs), err)
				break repeats
			}
		}
	}
	s.Strategies = summary.Aggregate(s.Runs, names, desc)
	s.Complete = !interrupted && aborted == nil
	if interrupted {
		return s, samples, ErrInterrupted
	}
	return s, samples, aborted
}

// Order returns the strategies in the order repeat rep runs them: a
// shuffle determined by seed and rep.
func Order(ss []strategies.Strategy, seed uint64, rep int) []strategies.Strategy {
	out := append([]strategies.Strategy(nil), ss...)
	r := rand.New(rand.NewPCG(seed, uint64(rep)))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// baselineHold is how long the baseline worker stays up: long enough for
// several samples.
func baselineHold(interval time.Duration) time.Duration {
	return max(20*interval, 200*time.Millisecond)
}

// Measure resets the table, runs one strategy in a worker and verifies the
// table. Failures of the strategy, its worker or the verification are
// recorded in the returned Run; the error is non-nil only when the table
// could not be reset, so that no run could happen.
func Measure(ctx context.Context, db *gorm.DB, l Launcher, cfg Config, strategy string, progress func(int64)) (summary.Run, []rss.Sample, error) {
	run := summary.Run{Strategy: strategy, Status: summary.StatusOK, WrongRows: -1}
	if err := seed.Reset(ctx, db, seed.Config{Rows: cfg.Rows, Payload: cfg.Payload, Seed: cfg.DataSeed}); err != nil {
		run.Status, run.Error = statusOf(ctx), err.Error()
		if ctx.Err() != nil {
			return run, nil, nil
		}
		return run, nil, err
	}
	out := spawn(ctx, l, job{Kind: cfg.Kind, DSN: cfg.DSN, Strategy: strategy, Batch: cfg.Batch, BulkForm: cfg.BulkForm, Workers: cfg.Workers},
		limits{Interval: cfg.Interval, RSS: cfg.RSSLimit, Timeout: cfg.Timeout}, progress)
	run.Rows, run.Reads, run.Writes = max(out.Stats.Rows, out.Progress), out.Stats.Reads, out.Stats.Writes
	run.PeakRSSBytes, run.KernelMaxRSSBytes = rss.Peak(out.Samples)
	run.KernelMaxRSSBytes = max(run.KernelMaxRSSBytes, out.HWM)
	run.RusageMaxRSSBytes = out.RusageMaxRSS
	run.DurationSeconds, run.WallSeconds = out.DurationSeconds, out.Wall.Seconds()
	if !out.Reported {
		run.DurationSeconds = run.WallSeconds
	}
	run.Samples = len(out.Samples)
	switch {
	case out.Err == nil:
	case out.Killed:
		run.Status, run.Error, run.KilledAtSeconds = summary.StatusKilled, out.Err.Error(), out.KilledAt.Seconds()
	case out.TimedOut:
		run.Status, run.Error = summary.StatusTimeout, out.Err.Error()
	default:
		run.Status, run.Error = statusOf(ctx), out.Err.Error()
	}
	if ctx.Err() != nil {
		return run, out.Samples, nil
	}
	v, err := seed.Verify(ctx, db)
	if err != nil {
		run.Status, run.Error = summary.StatusError, errors.Join(out.Err, err).Error()
		return run, out.Samples, nil
	}
	run.RowsVerified, run.WrongRows = v.Rows, v.Wrong
	if out.Killed || out.TimedOut {
		// What the table holds is the exact count of rows done.
		run.Rows = v.Rows - v.Wrong
	}
	if run.Status == summary.StatusOK && (v.Wrong != 0 || v.Rows != int64(cfg.Rows)) {
		run.Status = summary.StatusError
		run.Error = fmt.Sprintf("verification: %d of %d rows wrong (first id %d), %d expected", v.Wrong, v.Rows, v.FirstWrongID, cfg.Rows)
	}
	return run, out.Samples, nil
}

func statusOf(ctx context.Context) string {
	if ctx.Err() != nil {
		return summary.StatusInterrupted
	}
	return summary.StatusError
}

// describe fills in the config section of the summary.
func describe(ctx context.Context, db *gorm.DB, cfg Config) summary.Config {
	c := summary.Config{
		Database:        string(cfg.Kind),
		DSN:             database.Redact(cfg.DSN),
		GORMVersion:     database.ModuleVersion("gorm.io/gorm"),
		Image:           cfg.Image,
		ServerCommand:   cfg.ServerCommand,
		StartSeconds:    cfg.StartSeconds,
		Rows:            cfg.Rows,
		BatchSize:       cfg.Batch,
		PayloadBytes:    cfg.Payload,
		DataSeed:        cfg.DataSeed,
		Repeats:         cfg.Repeats,
		Workers:         cfg.Workers,
		RSSLimitBytes:   cfg.RSSLimit,
		TimeoutSeconds:  cfg.Timeout.Seconds(),
		Strategies:      strategies.Names(cfg.Strategies),
		IntervalSeconds: cfg.Interval.Seconds(),
		ShuffleSeed:     cfg.ShuffleSeed,
		GoVersion:       runtime.Version(),
		OS:              runtime.GOOS,
		Arch:            runtime.GOARCH,
		CPUs:            runtime.NumCPU(),
		StartedAt:       time.Now().UTC().Truncate(time.Second),
	}
	c.Driver, c.DriverVersion = database.Driver(cfg.Kind)
	c.DatabaseVersion, _ = database.Version(ctx, db)
	c.Settings, _ = database.Settings(ctx, db)
	if form, err := strategies.ResolveBulkForm(db.Name(), cfg.BulkForm); err == nil {
		c.BulkForm = string(form)
	}
	if fs, err := procfs.NewDefaultFS(); err == nil {
		if info, err := fs.CPUInfo(); err == nil && len(info) > 0 {
			c.CPUModel = info[0].ModelName
		}
	}
	return c
}

// Sweep runs the benchmark at each row count in sizes, in turn, and hands
// each size's results to each as soon as they are complete, so that a
// stopped sweep keeps what it measured. It returns the first error of Run
// (ErrInterrupted included) or of each.
func Sweep(ctx context.Context, db *gorm.DB, cfg Config, sizes []int, l Launcher, p Progress,
	each func(*summary.Summary, []summary.SampleRow) error) error {
	for _, n := range sizes {
		c := cfg
		c.Rows = n
		s, samples, err := Run(ctx, db, c, l, p)
		if s != nil && len(s.Runs) > 0 {
			if werr := each(s, samples); werr != nil {
				return werr
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}
