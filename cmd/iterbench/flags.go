package main

import (
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/iterbench/iterbench/internal/bench"
	"github.com/iterbench/iterbench/internal/cluster"
	"github.com/iterbench/iterbench/internal/items"
	"github.com/iterbench/iterbench/internal/outdir"
	"github.com/iterbench/iterbench/internal/probe"
	"github.com/iterbench/iterbench/internal/report"
	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/strategies"
	"github.com/iterbench/iterbench/internal/worker"
)

// benchFlags are the flags shared by run and sweep.
type benchFlags struct {
	dbFlags
	batch, repeats, workers           int
	minRepeats                        int
	payload                           payloadFlag
	strategies, out, bulkForm         string
	rssLimit, memoryLimit, goMemLimit string
	interval, timeout, maxAppP99      time.Duration
	batchTarget                       time.Duration
	shuffleSeed, dataSeed             uint64
	probeRate, probeStep, killAt      float64
	screen                            float64
	layers                            string
	maxLag                            time.Duration
}

func (f *benchFlags) register(fs *flag.FlagSet, repeats int) {
	f.dbFlags.register(fs)
	f.dbFlags.registerCluster(fs)
	fs.IntVar(&f.batch, "batch", strategies.DefaultBatchSize, "rows per page or bulk statement")
	f.payload = payloadFlag{min: items.DefaultPayload}
	fs.Var(&f.payload, "payload", "size in bytes of each row's JSON document, or a range MIN..MAX whose sizes are drawn log-uniformly from the seed")
	fs.IntVar(&f.repeats, "repeats", repeats, "runs of each strategy, at most (see --min-repeats)")
	fs.IntVar(&f.minRepeats, "min-repeats", bench.DefaultMinRepeats, "runs of every strategy before the repeats go on, up to --repeats, only for the leader and the strategies the Mann-Whitney U test cannot yet tell from it (--min-repeats = --repeats: every strategy --repeats times)")
	fs.Float64Var(&f.screen, "screen", report.DefaultScreen, "after the first repeat, run no more a strategy that took more than this many times as long as the leader: it is out of contention (0: every strategy --min-repeats times)")
	fs.IntVar(&f.workers, "workers", strategies.DefaultWorkers, "concurrent workers of parallel-keyset")
	fs.DurationVar(&f.batchTarget, "batch-target", strategies.DefaultBatchTarget, "the time each batch of keyset-adaptive aims at")
	fs.StringVar(&f.strategies, "strategies", "all", "comma-separated strategy names, or all (see iterbench list)")
	fs.StringVar(&f.layers, "layers", string(strategies.LayerGORM), "what the strategies read and write through: gorm, driver, or gorm,driver to run those that have a driver form (keyset-bulk, keyset-pipelined) on both and report what GORM costs")
	fs.DurationVar(&f.interval, "interval", bench.DefaultInterval, "RSS sampling interval")
	fs.StringVar(&f.memoryLimit, "memory-limit", "", "run each worker in a container with this memory limit and no swap (e.g. 128MiB; needs Docker): "+
		"the kernel's OOM killer ends a worker that needs more, and the run is recorded as oom-killed")
	fs.StringVar(&f.rssLimit, "rss-limit", "", "without Docker: kill a worker whose sampled RSS crosses this (e.g. 128MiB), an emulation of --memory-limit; the run is recorded as killed")
	fs.StringVar(&f.goMemLimit, "gomemlimit", worker.MemLimitOff, "the workers' GOMEMLIMIT: off, auto (90 % of the memory limit) or a size such as 100MiB")
	fs.DurationVar(&f.timeout, "timeout", 0, "stop a run that takes longer (e.g. 5m); the run is recorded as timeout (default: no limit)")
	fs.StringVar(&f.bulkForm, "bulk-form", "", "bulk-update form: values, case, upsert or unnest (default: the fastest measured for the database)")
	fs.Uint64Var(&f.shuffleSeed, "shuffle-seed", 0, "seed of the per-repeat strategy order (default: random; recorded in the results)")
	fs.Uint64Var(&f.dataSeed, "seed", seed.DefaultSeed, "seed of the generated rows")
	fs.Float64Var(&f.probeRate, "probe-rate", probe.DefaultRate, "operations per second of the application probe beside every run (0: no probe)")
	fs.Float64Var(&f.probeStep, "probe-step", 1, "multiply the probe's rate by this while each run does the middle third of its rows, the application's load stepping up and back (1: a steady rate)")
	fs.DurationVar(&f.maxAppP99, "max-app-p99", 0, "rank after the others a strategy whose probe p99 is above this (default: 10 × the idle probe's p99, at least 50ms)")
	fs.DurationVar(&f.maxLag, "max-lag", bench.DefaultMaxLag, "on a cluster, rank after the others a strategy that made another node lag more than this behind the first")
	fs.Float64Var(&f.killAt, "kill-at", 0, "also run every strategy killed once it reports this share of the rows (e.g. 0.5) and started again, to measure resuming (default: no such run)")
}

// config validates the flags (rows excepted) and returns the benchmark
// configuration without its database, and the results folder (--out, or
// results/<outDefault><db>). It changes nothing: a flag left at zero is
// resolved into the configuration, not into the flags.
func (f *benchFlags) config(fs *flag.FlagSet, outDefault string) (cfg bench.Config, out string, err error) {
	if err := positive(map[string]int{"batch": f.batch, "repeats": f.repeats, "workers": f.workers, "min-repeats": f.minRepeats}); err != nil {
		return cfg, "", err
	}
	if f.screen != 0 && f.screen < 1.5 {
		return cfg, "", usagef("--screen must be 0 (off) or at least 1.5 (times the leader's time), got %v", f.screen)
	}
	if f.batchTarget <= 0 {
		return cfg, "", usagef("--batch-target must be positive, got %v", f.batchTarget)
	}
	if f.interval <= 0 {
		return cfg, "", usagef("--interval must be positive, got %v", f.interval)
	}
	if f.timeout < 0 {
		return cfg, "", usagef("--timeout must not be negative, got %v", f.timeout)
	}
	if err := f.limits(&cfg); err != nil {
		return cfg, "", err
	}
	if f.probeRate < 0 || f.probeRate > 10000 {
		return cfg, "", usagef("--probe-rate must be between 0 and 10000 operations per second, got %v", f.probeRate)
	}
	if f.probeStep < 1 || f.probeStep > 100 || f.probeStep*f.probeRate > 10000 {
		return cfg, "", usagef("--probe-step must be between 1 and 100, and the stepped rate (--probe-rate × --probe-step) at most 10000 operations per second, got %v × %v", f.probeRate, f.probeStep)
	}
	if f.maxAppP99 < 0 {
		return cfg, "", usagef("--max-app-p99 must not be negative, got %v", f.maxAppP99)
	}
	if f.killAt < 0 || f.killAt >= 1 {
		return cfg, "", usagef("--kill-at is a share of the rows, above 0 and below 1 (e.g. 0.5), got %v", f.killAt)
	}
	strats, err := strategies.Parse(f.strategies)
	if err != nil {
		return cfg, "", usageError{err}
	}
	layers, err := strategies.ParseLayers(f.layers)
	if err != nil {
		return cfg, "", usagef("--layers: %v", err)
	}
	if strats = strategies.OnLayers(strats, layers); len(strats) == 0 {
		return cfg, "", usagef("--layers %s: none of the strategies has a form on it (driver forms: %s)", f.layers, strings.Join(strategies.Names(strategies.DriverForms()), ", "))
	}
	kind, err := f.kind(fs)
	if err != nil {
		return cfg, "", err
	}
	topo, err := f.dbFlags.cluster(fs, kind)
	if err != nil {
		return cfg, "", err
	}
	if f.maxLag <= 0 {
		return cfg, "", usagef("--max-lag must be positive, got %v", f.maxLag)
	}
	if topo != cluster.Single {
		// The nodes are filled in once they are started or reached (connect).
		cfg.Cluster, cfg.MaxLag = &cluster.Config{Topology: topo}, f.maxLag
	}
	// Resolved here, once (bad input is exit 2): bench, the workers and the
	// results take it as it is.
	form, err := strategies.ResolveBulkForm(kind, strategies.BulkForm(f.bulkForm))
	if err != nil {
		return cfg, "", usageError{err}
	}
	out = f.out
	if out == "" {
		out = filepath.Join("results", outDefault+string(kind))
	}
	if err := outdir.Check(out); err != nil {
		return cfg, "", usagef("--out %s: %v", out, err)
	}
	cfg.ShuffleSeed = f.shuffleSeed
	if cfg.ShuffleSeed == 0 {
		cfg.ShuffleSeed = randomSeed()
	}
	cfg.Kind, cfg.Batch, cfg.DataSeed, cfg.Repeats, cfg.MinRepeats = kind, f.batch, f.dataSeed, f.repeats, f.minRepeats
	cfg.Decide = report.MoreRuns
	if f.screen > 0 {
		cfg.Screen, cfg.ScreenFactor = report.Screen(f.screen), f.screen
	}
	cfg.Payload, cfg.PayloadMax = f.payload.min, f.payload.max
	cfg.Strategies, cfg.BulkForm, cfg.Interval = strats, form, f.interval
	cfg.Workers, cfg.Timeout, cfg.BatchTarget = f.workers, f.timeout, f.batchTarget
	cfg.ProbeRate, cfg.ProbeStep, cfg.MaxAppP99, cfg.KillAt = f.probeRate, f.probeStep, f.maxAppP99, f.killAt
	return cfg, out, nil
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
	// The one place the GOMEMLIMIT setting is resolved (worker.MemLimit).
	switch f.goMemLimit {
	case worker.MemLimitOff, "":
		cfg.GoMemLimit = worker.MemLimit{}
	case worker.MemLimitAuto:
		if cfg.GoMemLimit, err = worker.AutoMemLimit(cfg.MemoryLimit, cfg.RSSLimit); err != nil {
			return usagef("--gomemlimit auto takes %.0f %% of the memory limit: give --memory-limit or --rss-limit too", 100*worker.MemLimitRatio)
		}
	default:
		n, err := size("gomemlimit", f.goMemLimit)
		if err != nil {
			return usagef("--gomemlimit %q is neither off, auto nor a size such as 100MiB", f.goMemLimit)
		}
		cfg.GoMemLimit = worker.MemLimit{Bytes: n}
	}
	return nil
}

// payloadFlag is --payload: a size in bytes, or a range MIN..MAX.
type payloadFlag struct{ min, max int }

// String implements flag.Value.
func (p *payloadFlag) String() string {
	if p.max > p.min {
		return fmt.Sprintf("%d..%d", p.min, p.max)
	}
	return strconv.Itoa(p.min)
}

// Set implements flag.Value: a positive size, or MIN..MAX with 1 <= MIN
// < MAX.
func (p *payloadFlag) Set(s string) error {
	lo, hi, ranged := strings.Cut(s, "..")
	min, err := strconv.Atoi(strings.TrimSpace(lo))
	if err != nil || min < 1 {
		return fmt.Errorf("want a size in bytes of at least 1, or MIN..MAX, got %q", s)
	}
	max := 0
	if ranged {
		if max, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || max <= min {
			return fmt.Errorf("in a range MIN..MAX, MAX must be a size above MIN; got %q", s)
		}
	}
	p.min, p.max = min, max
	return nil
}
