package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/probe"
	"github.com/iterbench/iterbench/internal/rss"
	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/worker"
)

// Measure resets the table, runs one strategy in a worker and verifies the
// table. Failures of the strategy, its worker or the verification are
// recorded in the returned Run; the error is non-nil only when the table
// could not be reset, so that no run could happen.
func Measure(ctx context.Context, db *gorm.DB, l worker.Launcher, cfg Config, strategy string, progress func(int64)) (summary.Run, []rss.Sample, error) {
	run, samples, _, _, err := measure(ctx, db, l, cfg, strategy, progress, nil, nil)
	return run, samples, err
}

// measure is Measure with the server's cost watched and, if pb is not nil,
// the application probe running beside the worker; it also returns the
// probe's windows. With ready not nil, the table is not reset where
// *ready says the run before left it reset, and the verification resets
// it for the next run where the table can do both at once (*ready says
// whether it did). With a cluster it also returns the cluster's readings.
func measure(ctx context.Context, db *gorm.DB, l worker.Launcher, cfg Config, strategy string, progress func(int64),
	pb *probe.Probe, ready *bool) (summary.Run, []rss.Sample, []summary.ProbeWindow, []summary.LagSample, error) {
	run := summary.Run{Strategy: strategy, Layer: layerOf(strategy), Status: summary.StatusOK, WrongRows: -1}
	start := time.Now()
	if ready == nil || !*ready {
		if err := reset(ctx, db, cfg); err != nil {
			run.Status, run.Error = statusOf(ctx), err.Error()
			if ctx.Err() != nil {
				return run, nil, nil, nil, nil
			}
			return run, nil, nil, nil, err
		}
		run.ResetSeconds = time.Since(start).Seconds()
	}
	if ready != nil {
		*ready = false
	}
	obs := observe(ctx, db, cfg, pb)
	out := spawn(ctx, l, cfg.job(strategy, 0), cfg.limits(), obs.stepped(cfg, progress))
	end := time.Now()
	var ws []summary.ProbeWindow
	run.Probe, ws, run.Server = obs.stop(ctx)
	var lag []summary.LagSample
	run.Cluster, lag = obs.stopCluster(ctx, end)
	return record(ctx, db, cfg, run, out, ready), out.Samples, ws, lag, nil
}

// verifyResetter is a Table that can verify and, at the same time, reset
// itself for the next run (seed.VerifyAndReset).
type verifyResetter interface {
	VerifyAndReset(ctx context.Context, db *gorm.DB) (v seed.Verification, reset bool, err error)
}

// layerOf is the layer strategy's reads and writes go through.
func layerOf(strategy string) string {
	return cmp.Or(RolesOf(strategy).Layer, summary.LayerGORM)
}

// reset returns the table to its seeded state.
func reset(ctx context.Context, db *gorm.DB, cfg Config) error {
	return cfg.table().Reset(ctx, db)
}

// record fills run from the worker's outcome and verifies the table;
// with ready not nil, resetting it for the next run where it can at the
// same time (*ready says whether it did).
func record(ctx context.Context, db *gorm.DB, cfg Config, run summary.Run, out outcome, ready *bool) summary.Run {
	run.Rows, run.Reads, run.Writes = max(out.Stats.Rows, out.Progress), out.Stats.Reads, out.Stats.Writes
	run.Retries = out.Stats.Retries
	run.Batches = (*summary.Batches)(out.Stats.Batches)
	pk := rss.PeaksOf(out.Samples)
	run.PeakRSSBytes, run.KernelMaxRSSBytes = pk.RSS, max(pk.HWM, out.HWM)
	run.AnonPeakBytes, run.FilePeakBytes = pk.Anon, pk.File
	run.CgroupPeakBytes, run.CgroupWorkingSetPeakBytes = pk.Cgroup, pk.WorkingSet
	run.RusageMaxRSSBytes = out.Exit.MaxRSS
	run.ExitCode, run.OOMKilled = out.Exit.Code, out.Exit.OOMKilled
	run.GoMemLimitBytes, run.GCCPUSeconds, run.CPUSeconds = out.GoMemLimitBytes, out.GCCPUSeconds, out.CPUSeconds
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
	start := time.Now()
	var (
		v   seed.Verification
		err error
	)
	if vr, ok := cfg.table().(verifyResetter); ok && ready != nil {
		v, *ready, err = vr.VerifyAndReset(ctx, db)
		run.ResetNext = *ready
	} else {
		v, err = cfg.table().Verify(ctx, db)
	}
	run.VerifySeconds = time.Since(start).Seconds()
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
		run.Error = "verification: " + wrongRows(v, cfg.Rows)
	}
	return verifyOther(ctx, cfg, run)
}

// wrongRows says what a verification found wrong.
func wrongRows(v seed.Verification, rows int) string {
	s := fmt.Sprintf("%d of %d rows wrong (first key %s), %d expected", v.Wrong, v.Rows, v.FirstWrong, rows)
	if v.AlteredData > 0 {
		s += fmt.Sprintf("; %d rows' documents were altered", v.AlteredData)
	}
	return s
}

// verifyOther verifies every row again on another node of cfg's cluster,
// once it has caught up (the cluster's watch waited for that): the standby,
// or Galera's last node. Rows that are wrong there fail the run.
func verifyOther(ctx context.Context, cfg Config, run summary.Run) summary.Run {
	if cfg.nodes == nil || run.Cluster == nil || ctx.Err() != nil {
		return run
	}
	other, name := cfg.nodes.Verifier()
	run.Cluster.VerifiedOn, run.Cluster.WrongRows = name, -1
	start := time.Now()
	v, err := cfg.table().Verify(ctx, other)
	run.VerifySeconds += time.Since(start).Seconds()
	if err != nil {
		run.Status = summary.StatusError
		run.Error = strings.TrimPrefix(run.Error+"; ", "; ") + fmt.Sprintf("verification on %s: %v", name, err)
		return run
	}
	run.Cluster.RowsVerified, run.Cluster.WrongRows = v.Rows, v.Wrong
	if run.Status == summary.StatusOK && (v.Wrong != 0 || v.Rows != int64(cfg.Rows)) {
		run.Status = summary.StatusError
		run.Error = fmt.Sprintf("verification on %s: %s", name, wrongRows(v, cfg.Rows))
	}
	return run
}

func statusOf(ctx context.Context) string {
	if ctx.Err() != nil {
		return summary.StatusInterrupted
	}
	return summary.StatusError
}
