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
	"iterbench/probe"
	"iterbench/rss"
	"iterbench/seed"
	"iterbench/strategies"
	"iterbench/summary"
	"iterbench/units"
	"iterbench/worker"
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
	// RSSLimit, if not zero, kills a worker whose RSS crosses it (bytes):
	// the parent's emulation of a memory limit (--rss-limit).
	RSSLimit uint64
	// MemoryLimit, if not zero, is the memory limit of the containers the
	// launcher runs workers in (--memory-limit): the kernel enforces it.
	// Run only records it; the launcher applies it.
	MemoryLimit uint64
	// GoMemLimit is the workers' GOMEMLIMIT setting: worker.MemLimitOff,
	// worker.MemLimitAuto, or a number of bytes.
	GoMemLimit string
	// Timeout, if not zero, stops a worker that runs longer.
	Timeout time.Duration
	// ProbeRate, if not zero, is the rate (operations per second) of the
	// application probe that runs beside every run (see package probe).
	ProbeRate float64
	// MaxAppP99 is recorded for the recommendation (--max-app-p99); zero:
	// 10 × the idle probe's p99, at least 50 ms.
	MaxAppP99 time.Duration
	// KillAt, if not zero, adds to each repeat a second run of every
	// strategy, killed once it reports this share of the rows and started
	// again (see measureResume).
	KillAt float64
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

// ErrLimitBelowBaseline is returned by Run when the memory limit leaves the
// baseline worker, which only opens the database, no room: no strategy could
// be measured under it.
var ErrLimitBelowBaseline = errors.New("the memory limit is below the baseline worker's memory")

// checkLimit returns ErrLimitBelowBaseline, with the figures, when the
// baseline worker (base) does not fit under cfg's memory limit.
func checkLimit(cfg Config, base rss.Peaks) error {
	switch {
	case cfg.RSSLimit > 0 && base.RSS >= cfg.RSSLimit:
		return fmt.Errorf("%w: --rss-limit %s, but a worker that only connects has an RSS of %s; give a larger limit",
			ErrLimitBelowBaseline, units.MiB(float64(cfg.RSSLimit)), units.MiB(float64(base.RSS)))
	case cfg.MemoryLimit > 0 && base.Cgroup >= cfg.MemoryLimit:
		return fmt.Errorf("%w: --memory-limit %s, but the container of a worker that only connects is charged %s; give a larger limit",
			ErrLimitBelowBaseline, units.MiB(float64(cfg.MemoryLimit)), units.MiB(float64(base.Cgroup)))
	}
	return nil
}

// Run measures the baseline worker, seeds the table in db, then runs every
// strategy Repeats times (in a shuffled order per repeat), each in its own
// worker started by l, verifying the table after every run. A run that fails
// is recorded with status error and the benchmark goes on, unless the table
// cannot even be reset for the next run (the server has gone away): then Run
// stops and returns what it has, marked incomplete, with that error. When
// ctx is cancelled, Run returns what it has, marked incomplete, and
// ErrInterrupted.
func Run(ctx context.Context, db *gorm.DB, cfg Config, l worker.Launcher, p Progress) (*summary.Summary, []summary.SampleRow, error) {
	if p == nil {
		p = NoProgress{}
	}
	// The bulk form, resolved once here: the workers and the results get
	// the same one.
	form, err := strategies.ResolveBulkForm(cfg.Kind.Dialect(), cfg.BulkForm)
	if err != nil {
		return nil, nil, err
	}
	cfg.BulkForm = form
	s := &summary.Summary{Config: describe(ctx, db, cfg)}
	var samples []summary.SampleRow

	base, err := Baseline(ctx, l, cfg, 0)
	if ctx.Err() != nil {
		return s, nil, ErrInterrupted
	}
	if err != nil {
		return nil, nil, err
	}
	if err := checkLimit(cfg, base); err != nil {
		return nil, nil, err
	}
	s.BaselinePeakRSSBytes, s.BaselineKernelMaxRSSBytes = base.RSS, max(base.HWM, base.RSS)
	s.BaselineAnonPeakBytes, s.BaselineFilePeakBytes, s.BaselineCgroupPeakBytes = base.Anon, base.File, base.Cgroup

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

	var pb *probe.Probe
	if cfg.ProbeRate > 0 {
		pb, err = probe.Open(ctx, cfg.Kind, cfg.DSN, probe.Config{Rate: cfg.ProbeRate, Rows: int64(cfg.Rows), Seed: cfg.DataSeed})
		if err != nil {
			return nil, nil, err
		}
		defer pb.Close()
		if cfg.Kind == database.SQLite {
			// Empty the write-ahead log seeding filled, as before every run.
			if err := reset(ctx, db, cfg); err != nil {
				return nil, nil, err
			}
		}
		p.Start("idle probe", IdleSeconds)
		var ws []summary.ProbeWindow
		s.IdleProbe, ws, s.IdleServer = idle(ctx, db, cfg, pb)
		p.Finish()
		s.ProbeWindows = append(s.ProbeWindows, ws...)
		if ctx.Err() != nil {
			return s, nil, ErrInterrupted
		}
	}

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
			run, smp, ws, err := measure(ctx, db, l, cfg, strat.Name(), p.Set, pb)
			p.Finish()
			run.Repeat, run.Order = rep, i+1
			s.Runs = append(s.Runs, run)
			for _, x := range smp {
				samples = append(samples, sampleRow(run.Strategy, rep, x))
			}
			for _, w := range ws {
				w.Strategy, w.Repeat = run.Strategy, rep
				s.ProbeWindows = append(s.ProbeWindows, w)
			}
			if err == nil && run.Status != summary.StatusInterrupted && cfg.KillAt > 0 {
				p.Start(fmt.Sprintf("%d/%d %s, killed at %.0f %%", rep, cfg.Repeats, strat.Name(), 100*cfg.KillAt), int64(cfg.Rows))
				run, err = measureResume(ctx, db, l, cfg, strat.Name(), p.Set, pb)
				p.Finish()
				run.Repeat, run.Order = rep, i+1
				s.Runs = append(s.Runs, run)
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
	fillTimeLost(s.Runs)
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

// sampleRow is one line of samples.csv.
func sampleRow(strategy string, rep int, x rss.Sample) summary.SampleRow {
	return summary.SampleRow{Strategy: strategy, Repeat: rep, T: x.T.Seconds(), RSS: x.Usage.RSS, HWM: x.Usage.HWM,
		Anon: x.Usage.Anon, File: x.Usage.File, Cgroup: x.Usage.Cgroup.Charge, WorkingSet: x.Usage.Cgroup.WorkingSet}
}

// Baseline runs the baseline worker, which only opens the database (and,
// for calibration, allocates and holds touch bytes), under the same launcher
// and limits as the strategies, and returns its peaks. Its VmHWM, read by the
// worker as it exits, is in HWM when larger than any sample's.
func Baseline(ctx context.Context, l worker.Launcher, cfg Config, touch uint64) (rss.Peaks, error) {
	out := spawn(ctx, l, cfg.job("", touch), limits{Interval: cfg.Interval, Memory: cfg.MemoryLimit}, nil)
	if out.OOMKilled {
		return rss.Peaks{}, fmt.Errorf("%w: under --memory-limit %s the kernel killed a worker that only connects; give a larger limit",
			ErrLimitBelowBaseline, units.MiB(float64(cfg.MemoryLimit)))
	}
	if out.Err != nil {
		return rss.Peaks{}, fmt.Errorf("baseline worker: %w", out.Err)
	}
	pk := rss.PeaksOf(out.Samples)
	pk.HWM = max(pk.HWM, out.HWM)
	return pk, nil
}

// job is what the worker of strategy (empty: the baseline) does under cfg.
func (cfg Config) job(strategy string, touch uint64) worker.Job {
	j := worker.Job{Kind: cfg.Kind, DSN: cfg.DSN, Strategy: strategy, Batch: cfg.Batch, BulkForm: cfg.BulkForm,
		Workers: cfg.Workers, GoMemLimit: cfg.GoMemLimit, Touch: touch}
	if strategy == "" {
		j.Hold = baselineHold(cfg.Interval)
	}
	return j
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
func Measure(ctx context.Context, db *gorm.DB, l worker.Launcher, cfg Config, strategy string, progress func(int64)) (summary.Run, []rss.Sample, error) {
	run, samples, _, err := measure(ctx, db, l, cfg, strategy, progress, nil)
	return run, samples, err
}

// measure is Measure with the server's cost watched and, if pb is not nil,
// the application probe running beside the worker; it also returns the
// probe's windows.
func measure(ctx context.Context, db *gorm.DB, l worker.Launcher, cfg Config, strategy string, progress func(int64),
	pb *probe.Probe) (summary.Run, []rss.Sample, []summary.ProbeWindow, error) {
	run := summary.Run{Strategy: strategy, Status: summary.StatusOK, WrongRows: -1}
	if err := reset(ctx, db, cfg); err != nil {
		run.Status, run.Error = statusOf(ctx), err.Error()
		if ctx.Err() != nil {
			return run, nil, nil, nil
		}
		return run, nil, nil, err
	}
	obs := observe(ctx, db, cfg, pb)
	out := spawn(ctx, l, cfg.job(strategy, 0), cfg.limits(), progress)
	var ws []summary.ProbeWindow
	run.Probe, ws, run.Server = obs.stop(ctx)
	return record(ctx, db, cfg, run, out), out.Samples, ws, nil
}

// reset returns the table to its seeded state.
func reset(ctx context.Context, db *gorm.DB, cfg Config) error {
	return seed.Reset(ctx, db, seed.Config{Rows: cfg.Rows, Payload: cfg.Payload, Seed: cfg.DataSeed})
}

// limits are what the parent enforces on cfg's strategy workers.
func (cfg Config) limits() limits {
	return limits{Interval: cfg.Interval, RSS: cfg.RSSLimit, Timeout: cfg.Timeout, Memory: cfg.MemoryLimit}
}

// record fills run from the worker's outcome and verifies the table.
func record(ctx context.Context, db *gorm.DB, cfg Config, run summary.Run, out outcome) summary.Run {
	run.Rows, run.Reads, run.Writes = max(out.Stats.Rows, out.Progress), out.Stats.Reads, out.Stats.Writes
	pk := rss.PeaksOf(out.Samples)
	run.PeakRSSBytes, run.KernelMaxRSSBytes = pk.RSS, max(pk.HWM, out.HWM)
	run.AnonPeakBytes, run.FilePeakBytes = pk.Anon, pk.File
	run.CgroupPeakBytes, run.CgroupWorkingSetPeakBytes = pk.Cgroup, pk.WorkingSet
	run.RusageMaxRSSBytes = out.Exit.MaxRSS
	run.ExitCode, run.OOMKilled = out.Exit.Code, out.Exit.OOMKilled
	run.GoMemLimitBytes, run.GCCPUSeconds = out.GoMemLimitBytes, out.GCCPUSeconds
	run.DurationSeconds, run.WallSeconds = out.DurationSeconds, out.Wall.Seconds()
	if !out.Reported {
		run.DurationSeconds = run.WallSeconds
	}
	run.Samples = len(out.Samples)
	switch {
	case out.Err == nil:
	case out.OOMKilled:
		run.Status, run.Error, run.KilledAtSeconds = summary.StatusOOMKilled, out.Err.Error(), out.KilledAt.Seconds()
	case out.Killed:
		run.Status, run.Error, run.KilledAtSeconds = summary.StatusKilled, out.Err.Error(), out.KilledAt.Seconds()
	case out.TimedOut:
		run.Status, run.Error = summary.StatusTimeout, out.Err.Error()
	default:
		run.Status, run.Error = statusOf(ctx), out.Err.Error()
	}
	if ctx.Err() != nil {
		return run
	}
	v, err := seed.Verify(ctx, db, seed.Config{Seed: cfg.DataSeed, Payload: cfg.Payload})
	if err != nil {
		run.Status, run.Error = summary.StatusError, errors.Join(out.Err, err).Error()
		return run
	}
	run.RowsVerified, run.WrongRows = v.Rows, v.Wrong
	if out.Killed || out.OOMKilled || out.TimedOut {
		// What the table holds is the exact count of rows done.
		run.Rows = v.Rows - v.Wrong
	}
	if run.Status == summary.StatusOK && (v.Wrong != 0 || v.Rows != int64(cfg.Rows)) {
		run.Status = summary.StatusError
		run.Error = fmt.Sprintf("verification: %d of %d rows wrong (first id %d), %d expected", v.Wrong, v.Rows, v.FirstWrongID, cfg.Rows)
		if v.AlteredData > 0 {
			run.Error += fmt.Sprintf("; %d rows' documents were altered", v.AlteredData)
		}
	}
	return run
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
		Database:         string(cfg.Kind),
		DSN:              database.Redact(cfg.DSN),
		GORMVersion:      database.ModuleVersion("gorm.io/gorm"),
		Image:            cfg.Image,
		ServerCommand:    cfg.ServerCommand,
		StartSeconds:     cfg.StartSeconds,
		Rows:             cfg.Rows,
		BatchSize:        cfg.Batch,
		PayloadBytes:     cfg.Payload,
		DataSeed:         cfg.DataSeed,
		Repeats:          cfg.Repeats,
		Workers:          cfg.Workers,
		RSSLimitBytes:    cfg.RSSLimit,
		MemoryLimitBytes: cfg.MemoryLimit,
		GoMemLimit:       cfg.GoMemLimit,
		TimeoutSeconds:   cfg.Timeout.Seconds(),
		ProbeRate:        cfg.ProbeRate,
		MaxAppP99Ms:      float64(cfg.MaxAppP99) / float64(time.Millisecond),
		KillAt:           cfg.KillAt,
		Strategies:       strategies.Names(cfg.Strategies),
		IntervalSeconds:  cfg.Interval.Seconds(),
		ShuffleSeed:      cfg.ShuffleSeed,
		GoVersion:        runtime.Version(),
		OS:               runtime.GOOS,
		Arch:             runtime.GOARCH,
		CPUs:             runtime.NumCPU(),
		StartedAt:        time.Now().UTC().Truncate(time.Second),
	}
	switch {
	case cfg.MemoryLimit > 0:
		c.LimitEnforcedBy = summary.EnforcedByKernel
	case cfg.RSSLimit > 0:
		c.LimitEnforcedBy = summary.EnforcedBySampler
	}
	c.Driver, c.DriverVersion = database.Driver(cfg.Kind)
	c.DatabaseVersion, _ = database.Version(ctx, db)
	c.Settings, _ = database.Settings(ctx, db)
	c.BulkForm = string(cfg.BulkForm)
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
func Sweep(ctx context.Context, db *gorm.DB, cfg Config, sizes []int, l worker.Launcher, p Progress,
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
