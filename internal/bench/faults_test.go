package bench

import (
	"context"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/strategies"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/worker"
)

// faulty names a strategy that only the worker built with the
// iterbench_faults tag knows; the parent needs nothing but its name.
type faulty string

func (f faulty) Name() string        { return string(f) }
func (f faulty) Description() string { return "a deliberate fault" }
func (f faulty) Run(context.Context, *gorm.DB, strategies.Config) (strategies.Stats, error) {
	panic("runs in the worker only")
}

// faultyLauncher starts workers built with the deliberately faulty
// strategies.
func faultyLauncher(t *testing.T) worker.Launcher {
	t.Helper()
	bin, err := worker.Build(context.Background(), t.TempDir(), "iterbench_faults")
	if err != nil {
		t.Fatal(err)
	}
	return localLauncher(t, bin)
}

// TestFaultyWorkers: workers that write wrong scores, alter documents,
// panic, exit without their final message or are killed from outside are
// each an error run with the cause, and the runs after them go on.
func TestFaultyWorkers(t *testing.T) {
	db, cfg := sqliteConfig(t, 2000)
	l := faultyLauncher(t)
	cfg.Strategies = []strategies.Strategy{faulty("fault-wrong-scores"), faulty("fault-alter-data"), faulty("fault-panic"),
		faulty("fault-exit"), strategies.KeysetBulk{}}
	s, _, err := Run(context.Background(), db, cfg, l, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"fault-wrong-scores": "verification: 1 of 2000 rows wrong (first key 2000)",
		"fault-alter-data":   "1 rows' documents were altered",
		"fault-panic":        "panic: fault-panic: a deliberate panic in the strategy",
		"fault-exit":         "fault-exit: leaving without a word on stdout",
	}
	if len(s.Runs) != len(cfg.Strategies) {
		t.Fatalf("%d runs, want %d", len(s.Runs), len(cfg.Strategies))
	}
	for _, r := range s.Runs {
		if r.Strategy == "keyset-bulk" {
			if r.Status != summary.StatusOK || r.WrongRows != 0 {
				t.Errorf("keyset-bulk after the faults: %s, %d wrong: %s", r.Status, r.WrongRows, r.Error)
			}
			continue
		}
		if r.Status != summary.StatusError || !strings.Contains(r.Error, want[r.Strategy]) {
			t.Errorf("%s: status %s, error %q; want error containing %q", r.Strategy, r.Status, r.Error, want[r.Strategy])
		}
	}
}

// TestWorkerKilledFromOutside: a worker killed by somebody else (SIGKILL)
// is an error run saying so.
func TestWorkerKilledFromOutside(t *testing.T) {
	db, cfg := sqliteConfig(t, 20000)
	l := &recording{Launcher: testLauncher(t)}
	if _, err := seed.Seed(context.Background(), db, seed.Config{Rows: cfg.Rows, Payload: cfg.Payload, Seed: cfg.DataSeed}); err != nil {
		t.Fatal(err)
	}
	run, _, err := Measure(context.Background(), db, l, cfg, "cursor", func(n int64) {
		if n > 0 {
			l.last.Kill()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != summary.StatusError || !strings.Contains(run.Error, "ended by signal 9 from outside (exit code 137)") || run.ExitCode != 137 {
		t.Errorf("status %s, exit %d, error %q", run.Status, run.ExitCode, run.Error)
	}
}

// recording remembers the last worker it started.
type recording struct {
	worker.Launcher
	last worker.Process
}

func (r *recording) Start(ctx context.Context, j worker.Job) (worker.Process, error) {
	p, err := r.Launcher.Start(ctx, j)
	r.last = p
	return p, err
}
