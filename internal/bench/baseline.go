package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/iterbench/iterbench/internal/rss"
	"github.com/iterbench/iterbench/internal/units"
	"github.com/iterbench/iterbench/internal/worker"
)

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

// baselineHold is how long the baseline worker stays up: long enough for
// several samples.
func baselineHold(interval time.Duration) time.Duration {
	return max(20*interval, 200*time.Millisecond)
}
