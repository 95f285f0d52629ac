package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/probe"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/units"
	"github.com/iterbench/iterbench/internal/worker"
)

// measureResume resets the table and runs strategy in a worker that the
// parent kills once it reports cfg.KillAt of the rows, counts the rows the
// table then holds written, and starts a second worker that resumes (or, if
// the strategy cannot, starts again from the first row); then it verifies
// the table. The probe and the server watch run across both workers. The
// run's Resume says what the kill cost; its time and memory figures are
// left out of the strategy's.
func measureResume(ctx context.Context, db *gorm.DB, l worker.Launcher, cfg Config, strategy string, progress func(int64),
	pb *probe.Probe) (summary.Run, error) {
	run := summary.Run{Strategy: strategy, Layer: layerOf(strategy), Status: summary.StatusOK, WrongRows: -1}
	start := time.Now()
	if err := reset(ctx, db, cfg); err != nil {
		run.Status, run.Error = statusOf(ctx), err.Error()
		if ctx.Err() != nil {
			return run, nil
		}
		return run, err
	}
	run.ResetSeconds = time.Since(start).Seconds()
	res := &summary.Resume{KillAtRows: int64(math.Ceil(cfg.KillAt * float64(cfg.Rows)))}
	run.Resume = res
	obs := observe(ctx, db, cfg, pb)
	progress = obs.stepped(cfg, progress)
	lim := cfg.limits()
	lim.KillAtRows = res.KillAtRows
	first := spawn(ctx, l, cfg.job(strategy, 0), lim, progress)
	res.FirstSeconds = first.Wall.Seconds()
	out := first
	if first.KilledOnPurpose && ctx.Err() == nil {
		var err error
		if res.DoneAtKill, err = cfg.table().Written(ctx, db); err != nil {
			run.Status, run.Error = statusOf(ctx), err.Error()
			run.Probe, _, run.Server = obs.stop(ctx)
			run.Cluster, _ = obs.stopCluster(ctx, time.Now())
			return run, nil
		}
		j := cfg.job(strategy, 0)
		j.Resume = true
		out = spawn(ctx, l, j, cfg.limits(), func(n int64) {
			if progress != nil {
				progress(min(n+res.DoneAtKill, int64(cfg.Rows)))
			}
		})
		res.SecondSeconds = out.Wall.Seconds()
		// What the second worker found recorded when it started, not what
		// the strategy declares: a strategy that records no progress, or a
		// worker killed before its first batch was committed, starts again.
		res.ResumedFrom = out.ResumedFrom
		res.Resumed = len(out.ResumedFrom) > 0
		res.RowsRedone = max(0, res.DoneAtKill+out.Stats.Rows-int64(cfg.Rows))
	}
	end := time.Now()
	run.Probe, _, run.Server = obs.stop(ctx)
	run.Cluster, _ = obs.stopCluster(ctx, end)
	run = record(ctx, db, cfg, run, out, nil)
	if first.KilledOnPurpose {
		run.Rows = res.DoneAtKill + out.Stats.Rows
		run.Retries += first.Stats.Retries // the first worker's too, if it said
	}
	run.DurationSeconds = res.FirstSeconds + res.SecondSeconds
	run.WallSeconds = run.DurationSeconds
	switch {
	case !first.KilledOnPurpose && out.Err == nil:
		res.Note = fmt.Sprintf("the worker finished before the kill at %s rows took effect", units.Thousands(res.KillAtRows))
	case res.DoneAtKill >= int64(cfg.Rows):
		res.Note = fmt.Sprintf("it reported no progress before every row was written (first report: %s rows), so the kill came after its work was done",
			units.Thousands(first.Progress))
	}
	return run, nil
}

// fillTimeLost sets each resumed run's TimeLostSeconds: its two workers'
// lifetimes less the median lifetime of the strategy's uninterrupted ok
// runs (left at 0 when there are none).
func fillTimeLost(runs []summary.Run) {
	for i, r := range runs {
		if r.Resume == nil {
			continue
		}
		var walls []float64
		for _, u := range runs {
			if u.Strategy == r.Strategy && u.Resume == nil && u.Status == summary.StatusOK {
				walls = append(walls, u.WallSeconds)
			}
		}
		if len(walls) == 0 {
			continue
		}
		slices.Sort(walls)
		runs[i].Resume.TimeLostSeconds = r.Resume.FirstSeconds + r.Resume.SecondSeconds - summary.NewStat(walls).Median
	}
}
