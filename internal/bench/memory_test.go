package bench

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iterbench/iterbench/internal/container"
	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/rss"
	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/strategies"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/worker"
)

// calibration is the memory the calibrating worker allocates and holds.
const calibration = 64 << 20

// within reports whether got is within 5 % of want.
func within(got, want uint64) bool {
	return math.Abs(float64(got)-float64(want)) <= 0.05*float64(want)
}

// checkCalibration runs the baseline worker twice under l, once holding 64
// MiB more, and checks that each figure grew by that much.
func checkCalibration(t *testing.T, l worker.Launcher, cfg Config, cgroup bool) {
	t.Helper()
	ctx := context.Background()
	base, err := Baseline(ctx, l, cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	held, err := Baseline(ctx, l, cfg, calibration)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("baseline %+v", base)
	t.Logf("holding 64 MiB %+v", held)
	for _, c := range []struct {
		name      string
		base, got uint64
	}{
		{"sampled anonymous peak", base.Anon, held.Anon},
		{"VmHWM", base.HWM, held.HWM},
		{"sampled RSS peak", base.RSS, held.RSS},
	} {
		if c.base == 0 || !within(c.got, c.base+calibration) {
			t.Errorf("%s: %d bytes holding 64 MiB, want %d (baseline %d + 64 MiB) ± 5 %%", c.name, c.got, c.base+calibration, c.base)
		}
	}
	if !cgroup {
		return
	}
	if base.Cgroup == 0 || !within(held.Cgroup, base.Cgroup+calibration) {
		t.Errorf("cgroup peak: %d bytes holding 64 MiB, want %d (baseline %d + 64 MiB) ± 5 %%", held.Cgroup, base.Cgroup+calibration, base.Cgroup)
	}
}

// TestCalibration measures a worker that holds a known amount of memory:
// a reader that took kB for bytes, or missed a kind of page, fails it.
func TestCalibration(t *testing.T) {
	_, cfg := sqliteConfig(t, 10)
	checkCalibration(t, testLauncher(t), cfg, false)
}

// containerLauncher returns a launcher of workers in containers limited to
// limit bytes that see dir, closed with the test.
func containerLauncher(t *testing.T, limit uint64, dir string) *container.Workers {
	t.Helper()
	containertest.RequireDocker(t)
	bin, err := worker.Find(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := container.NewWorkers(context.Background(), bin, limit, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestCalibrationInContainer(t *testing.T) {
	_, cfg := sqliteConfig(t, 10)
	checkCalibration(t, containerLauncher(t, 256<<20, filepath.Dir(cfg.DSN)), cfg, true)
}

// TestMemoryLimitKillsLoadAll runs load-all and keyset-bulk in containers
// under a memory limit that the first cannot fit in: the kernel kills it.
func TestMemoryLimitKillsLoadAll(t *testing.T) {
	const limit = 64 << 20
	db, cfg := sqliteConfig(t, 5000)
	l := countWritten(containerLauncher(t, limit, filepath.Dir(cfg.DSN)), db)
	// 5,000 documents of 16 KiB: 80 MB for load-all to hold; keyset-bulk
	// holds one batch of 100 (1.6 MB).
	cfg.Payload, cfg.MemoryLimit = 16<<10, limit
	cfg.Strategies = []strategies.Strategy{strategies.LoadAll{}, strategies.KeysetBulk{}}
	s, _, err := Run(context.Background(), db, cfg, l, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Config.MemoryLimitBytes != limit || s.Config.LimitEnforcedBy != summary.EnforcedByKernel {
		t.Errorf("config: memory limit %d, enforced by %q", s.Config.MemoryLimitBytes, s.Config.LimitEnforcedBy)
	}
	if len(s.Runs) != 2 {
		t.Fatalf("%d runs", len(s.Runs))
	}
	for _, r := range s.Runs {
		switch r.Strategy {
		case "load-all":
			if r.Status != summary.StatusOOMKilled || r.ExitCode != 137 || r.KilledAtSeconds <= 0 {
				t.Errorf("load-all: status %s, exit %d, OOM-killed %v, at %v s: %s", r.Status, r.ExitCode, r.OOMKilled, r.KilledAtSeconds, r.Error)
			}
			if !r.OOMKilled {
				// Docker sets the flag from an event that can come late; the
				// status then rests on SIGKILL at the limit (oomWithoutFlag).
				t.Logf("Docker did not flag the kill OOMKilled: %s", r.Error)
			}
			if w := l.written(t, r.Strategy); r.Rows != w {
				t.Errorf("load-all: %d rows done reported, but the table held %d rows written when it was killed", r.Rows, w)
			}
			if r.CgroupPeakBytes < limit*95/100 {
				t.Errorf("load-all: the cgroup's peak %d is not at the limit %d", r.CgroupPeakBytes, limit)
			}
		case "keyset-bulk":
			if r.Status != summary.StatusOK || r.WrongRows != 0 || r.ExitCode != 0 || r.OOMKilled || r.Rows != int64(cfg.Rows) {
				t.Errorf("keyset-bulk: %s, %d rows done of %d, %d wrong, exit %d: %s", r.Status, r.Rows, cfg.Rows, r.WrongRows, r.ExitCode, r.Error)
			}
			if r.CgroupPeakBytes == 0 || r.CgroupPeakBytes >= limit {
				t.Errorf("keyset-bulk: cgroup peak %d, want between 0 and the limit %d", r.CgroupPeakBytes, limit)
			}
		}
	}
}

// TestOwnKillAtTheLimit: a worker that iterbench kills itself (--kill-at)
// while its container's charge is at the memory limit was not killed by
// the kernel: the run is not oom-killed, it resumes.
func TestOwnKillAtTheLimit(t *testing.T) {
	const limit = 64 << 20
	db, cfg := sqliteConfig(t, 10000)
	l := containerLauncher(t, limit, filepath.Dir(cfg.DSN))
	// cursor rewrites every row of 16 KiB while its open read keeps SQLite
	// from checkpointing the WAL: the WAL's pages, cached and charged to the
	// worker's container, fill it to the limit, where the kernel reclaims
	// them instead of killing anyone. The WAL seeding left is emptied first
	// (its pages, charged to this process, would be written over before
	// any new one is charged to the worker): at half the rows (80 MB of
	// documents rewritten) the WAL is larger than the limit, and the worker
	// has half its work left when the kill lands.
	cfg.Payload, cfg.MemoryLimit, cfg.KillAt = 16<<10, limit, 0.5
	ctx := context.Background()
	if _, err := seed.Seed(ctx, db, seed.Config{Rows: cfg.Rows, Payload: cfg.Payload, Seed: cfg.DataSeed}); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		t.Fatal(err)
	}
	lim := cfg.limits()
	lim.KillAtRows = int64(math.Ceil(cfg.KillAt * float64(cfg.Rows)))
	out := spawn(ctx, l, cfg.job("cursor", 0), lim, nil)
	pk := rss.PeaksOf(out.Samples).Cgroup
	t.Logf("killed at %d rows, exit %d, container peak %d of %d: %v", out.Progress, out.Exit.Code, pk, limit, out.Err)
	if float64(pk) < 0.98*limit || out.Exit.Code != 137 || out.Exit.OOMKilled {
		t.Fatalf("the worker was not SIGKILLed by the parent with its container at the limit (exit %d, Docker's OOMKilled %v, peak %d of %d): the test proves nothing",
			out.Exit.Code, out.Exit.OOMKilled, pk, limit)
	}
	if !out.KilledOnPurpose || out.OOMKilled || out.Err != nil {
		t.Errorf("killed at --kill-at: killed on purpose %v, OOM-killed %v, error %v; want killed on purpose and nothing else", out.KilledOnPurpose, out.OOMKilled, out.Err)
	}

	// The whole run: killed at the limit, started again, every row right.
	run, err := measureResume(ctx, db, l, cfg, "cursor", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != summary.StatusOK || run.WrongRows != 0 || run.Resume == nil || run.Resume.Note != "" || run.Resume.DoneAtKill < lim.KillAtRows {
		t.Errorf("status %s (%s), %d wrong, resume %+v; want ok, killed at %d rows and started again", run.Status, run.Error, run.WrongRows, run.Resume, lim.KillAtRows)
	}
}

// TestWorkerContainerCannotStart: a worker whose container cannot start is
// an error run with Docker's message, and the next run goes on.
func TestWorkerContainerCannotStart(t *testing.T) {
	db, cfg := sqliteConfig(t, 200)
	l := containerLauncher(t, 128<<20, filepath.Dir(cfg.DSN))
	if _, err := seed.Seed(context.Background(), db, seed.Config{Rows: cfg.Rows, Payload: cfg.Payload, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	good := l.Image
	l.Image = "github.com/iterbench/iterbench/worker:never-built"
	run, _, err := Measure(context.Background(), db, l, cfg, "keyset-bulk", nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != summary.StatusError || !strings.Contains(run.Error, "never-built") {
		t.Errorf("status %s, error %q; want error naming the image", run.Status, run.Error)
	}
	l.Image = good
	run, _, err = Measure(context.Background(), db, l, cfg, "keyset-bulk", nil)
	if err != nil || run.Status != summary.StatusOK {
		t.Errorf("the next run: %s %s %v", run.Status, run.Error, err)
	}
}

// TestCgroupGone: a sampler whose container has been removed reads zero
// for the cgroup and goes on reading the process.
func TestCgroupGone(t *testing.T) {
	read := rss.WithCgroup(func() (rss.Usage, error) { return rss.Usage{RSS: 5}, nil }, rss.Cgroup{Dir: filepath.Join(t.TempDir(), "gone")})
	u, err := read()
	if err != nil || u.RSS != 5 || u.Cgroup != (rss.CgroupUsage{}) {
		t.Errorf("got %+v, %v", u, err)
	}
}

// TestOOMWithoutDockersFlag: SIGKILL of a worker whose container was at its
// limit is the kernel's OOM kill even when Docker's flag did not come.
func TestOOMWithoutDockersFlag(t *testing.T) {
	const limit = 64 << 20
	at := []rss.Sample{{Usage: rss.Usage{Cgroup: rss.CgroupUsage{Charge: limit - 100<<10}}}}
	below := []rss.Sample{{Usage: rss.Usage{Cgroup: rss.CgroupUsage{Charge: limit / 2}}}}
	// stopped is the runCtx of a worker that iterbench itself killed, for
	// cause: its SIGKILL at the limit is not the kernel's.
	stopped := func(cause error) context.Context {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(cause)
		return ctx
	}
	for _, c := range []struct {
		name string
		out  outcome
		lim  limits
		ctx  context.Context
		want bool
	}{
		{"killed at the limit", outcome{Exit: worker.Exit{Code: 137}, Samples: at}, limits{Memory: limit}, context.Background(), true},
		{"killed below the limit", outcome{Exit: worker.Exit{Code: 137}, Samples: below}, limits{Memory: limit}, context.Background(), false},
		{"exited at the limit", outcome{Exit: worker.Exit{Code: 1}, Samples: at}, limits{Memory: limit}, context.Background(), false},
		{"no container limit", outcome{Exit: worker.Exit{Code: 137}, Samples: at}, limits{}, context.Background(), false},
		{"killed at the limit by --timeout", outcome{Exit: worker.Exit{Code: 137}, Samples: at}, limits{Memory: limit}, stopped(errTimeout), false},
		{"killed at the limit by --kill-at", outcome{Exit: worker.Exit{Code: 137}, Samples: at}, limits{Memory: limit}, stopped(errKillAt), false},
		{"killed at the limit by Ctrl-C", outcome{Exit: worker.Exit{Code: 137}, Samples: at}, limits{Memory: limit}, stopped(context.Canceled), false},
	} {
		if got := oomWithoutFlag(c.out, c.lim, c.ctx); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
