// Package bench measures strategies: it seeds the table, runs each strategy
// in a worker process of its own while sampling the worker's RSS, verifies
// every row afterwards, and assembles the results.
package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/cluster"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/items"
	"github.com/iterbench/iterbench/internal/job"
	"github.com/iterbench/iterbench/internal/probe"
	"github.com/iterbench/iterbench/internal/rss"
	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/strategies"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/worker"
)

// ErrInterrupted is returned by Run when ctx was cancelled: the summary it
// returns alongside holds what was measured until then.
var ErrInterrupted = errors.New("interrupted")

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
	if cfg.Job == nil {
		var err error
		if cfg.Job, err = job.Of(items.Job); err != nil {
			return nil, nil, err
		}
	}
	// The bulk form: as the caller resolved it (the CLI does), else the
	// database's default, once here, so that the workers and the results
	// get the same one.
	if cfg.BulkForm == "" {
		cfg.BulkForm = strategies.DefaultBulkForm(cfg.Kind)
	}
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

	if cfg.Table == nil {
		p.Start("seed", int64(cfg.Rows))
		st, err := seed.Seed(ctx, db, seed.Config{Rows: cfg.Rows, Payload: cfg.Payload, PayloadMax: cfg.PayloadMax, Seed: cfg.DataSeed, Progress: p.Set})
		p.Finish()
		if err != nil {
			if ctx.Err() != nil {
				return s, nil, ErrInterrupted
			}
			return nil, nil, fmt.Errorf("seed: %w", err)
		}
		s.SeedSeconds, s.Config.SeedMethod = st.Duration.Seconds(), st.Method
	}

	if cl := cfg.Cluster; cl != nil {
		c := *cl
		c.First = cmp.Or(c.First, cfg.DSN)
		nodes, err := cluster.Open(ctx, c)
		if err != nil {
			return nil, nil, err
		}
		defer nodes.Close()
		cfg.nodes = nodes
	}

	var pb *probe.Probe
	if cfg.ProbeRate > 0 {
		target, err := cfg.table().ProbeTarget(ctx, db)
		if err != nil {
			return nil, nil, err
		}
		pc := probe.Config{Rate: cfg.ProbeRate, Rows: int64(cfg.Rows), Seed: cfg.DataSeed, Target: target}
		dsn := cfg.DSN
		switch cl := cfg.Cluster; {
		case cl == nil:
		case cl.Topology == cluster.Replica:
			// The application reads from its replica, and writes to the primary.
			pc.ReadDSN = cl.Others[0].DSN
		case cl.Topology == cluster.Galera:
			// The application works on another node of the cluster.
			dsn = cl.Others[0].DSN
		}
		pb, err = probe.Open(ctx, cfg.Kind, dsn, pc)
		if err != nil {
			return nil, nil, err
		}
		defer pb.Close()
		if f, _ := database.FactsOf(cfg.Kind); f.UpdatesInPlace {
			// Reset in place: empty the write-ahead log seeding filled, as
			// before every run.
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
		if strategies.Supported(st, cfg.Kind, cfg.Job) {
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
	active := runnable
	screened := map[string]bool{}
	ready := false // the table was reset for the next run, beside the last verification
repeats:
	for rep := 1; rep <= cfg.Repeats; rep++ {
		switch m := cfg.minRepeats(); {
		case m > 0 && rep > m:
			if active = more(s, samples, cfg, runnable, names, desc, screened); len(active) == 0 {
				break repeats
			}
		case rep == 2 && cfg.screenFactor() > 0:
			for _, name := range cfg.Screen(interim(s, names, desc, screened), samples) {
				screened[name] = true
			}
			active = slices.DeleteFunc(slices.Clone(runnable), func(st strategies.Strategy) bool { return screened[st.Name()] })
		}
		for i, strat := range Order(active, cfg.ShuffleSeed, rep) {
			p.Start(fmt.Sprintf("%d/%d %s", rep, cfg.Repeats, strat.Name()), int64(cfg.Rows))
			run, smp, ws, lag, err := measure(ctx, db, l, cfg, strat.Name(), p.Set, pb, &ready)
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
			for _, x := range lag {
				x.Strategy, x.Repeat = run.Strategy, rep
				s.Lag = append(s.Lag, x)
			}
			if err == nil && run.Status != summary.StatusInterrupted && cfg.KillAt > 0 {
				p.Start(fmt.Sprintf("%d/%d %s, killed at %.0f %%", rep, cfg.Repeats, strat.Name(), 100*cfg.KillAt), int64(cfg.Rows))
				ready = false
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
	s.Strategies = interim(s, names, desc, screened).Strategies
	s.Complete = !interrupted && aborted == nil
	if interrupted {
		return s, samples, ErrInterrupted
	}
	return s, samples, aborted
}

// more returns the strategies of runnable that cfg.Decide, asked with the
// runs so far, says need more runs.
func more(s *summary.Summary, samples []summary.SampleRow, cfg Config, runnable []strategies.Strategy, names []string, desc map[string]string, screened map[string]bool) []strategies.Strategy {
	want := cfg.Decide(interim(s, names, desc, screened), samples)
	var out []strategies.Strategy
	for _, st := range runnable {
		if slices.Contains(want, st.Name()) {
			out = append(out, st)
		}
	}
	return out
}

// interim is s with its strategies aggregated from the runs so far.
func interim(s *summary.Summary, names []string, desc map[string]string, screened map[string]bool) *summary.Summary {
	c := *s
	c.Strategies = summary.Aggregate(s.Runs, names, desc)
	for i := range c.Strategies {
		c.Strategies[i].Roles = RolesOf(c.Strategies[i].Name)
		c.Strategies[i].Screened = screened[c.Strategies[i].Name]
	}
	return &c
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
