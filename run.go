package iterbench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/source"
	"github.com/iterbench/iterbench/internal/strategies"
)

// Adaptive sizes batches to take Target each (see RunOptions.Batch): the
// decaying averages of pt-online-schema-change's --chunk-time, with
// Spirit's guards (growth at most ×1.5 a batch, a cut to a tenth after a
// batch over 5 × Target), within MinRows..MaxRows and never more than
// MaxBytes read in one batch; a lock or statement timeout halves the size
// and the same range is tried again. Only a batch's own read, computation
// and write are timed.
type Adaptive = strategies.Adaptive

// RunOptions says how Run runs a job.
type RunOptions struct {
	// Strategy is the resumable strategy to run, by its name in the
	// harness: keyset-bulk (empty), keyset-adaptive (keyset-bulk with
	// Adaptive batches unless Batch says otherwise), keyset-pipelined (the
	// next page read while the current one is written), parallel-keyset
	// (Workers ranges at once) or set-based (the job's SQL for the
	// database, no row sent to the client).
	Strategy string
	// Batch is the batch size: an int (rows), or Adaptive; nil: 1000 rows
	// (keyset-adaptive: Adaptive{}).
	Batch any
	// Workers is parallel-keyset's number of ranges written at once; 0:
	// 4. A run that resumes keeps the ranges it recorded.
	Workers int
	// BulkForm is the bulk-update form; empty: the database's fastest.
	BulkForm string
	// Restart starts from the first row, forgetting the progress recorded;
	// by default Run resumes after the last batch a run before it
	// committed.
	Restart bool
	// Throttle, if set, is asked before every batch how long to pause and
	// why (0: not at all): replica lag (ReplicaLag), the application's
	// latency (QueryLatency), the server's load (ThreadsRunning), or a
	// function of your own. Run pauses until it says 0.
	Throttle Throttle
	// Progress, if set, is told after every batch.
	Progress func(Progress)
	// NoSignals keeps Run from stopping on SIGINT and SIGTERM itself (it
	// then stops only when ctx is cancelled, also after the batch under
	// way).
	NoSignals bool
}

// Progress is where a Run is, after a batch.
type Progress struct {
	// Rows is the rows written by this run; Total the rows the job had
	// to do when it started (all of them, or the rest when it resumed).
	Rows, Total int64
	// RowsPerSecond is this run's rate so far.
	RowsPerSecond float64
	// Remaining is the time left at that rate.
	Remaining time.Duration
	// Batch is the size of the last batch, in rows.
	Batch int
}

// Pause is a pause the throttle asked for.
type Pause struct {
	// At is when it began.
	At time.Time
	// Seconds is how long it lasted.
	Seconds float64
	// Reason is the throttle's.
	Reason string
}

// RunStats is what a Run did.
type RunStats struct {
	// Rows is the rows written; Batches the batches.
	Rows, Batches int64
	// Resumed is set when the run continued after recorded progress.
	Resumed bool
	// Stopped is set when a signal or ctx stopped it after a batch,
	// before every row was written; the next Run resumes.
	Stopped bool
	// Duration is the run's wall time.
	Duration time.Duration
	// BatchSecondsP50 and BatchSecondsP99 are the batches' own times.
	BatchSecondsP50, BatchSecondsP99 float64
	// RowsMin and RowsMax are the smallest and largest batch.
	RowsMin, RowsMax int
	// Pauses are the throttle's.
	Pauses []Pause
}

// Run runs job on db in production, with the code the harness measures:
// keyset-bulk by default (keyset pages in key order, each written with one
// bulk statement that records the page's last key in the same
// transaction), or another resumable strategy named by
// RunOptions.Strategy. A run resumes after the last batch a run before it
// committed (RunOptions.Restart: from the first row); SIGINT and SIGTERM,
// or ctx, stop it after the batch under way; RunOptions.Batch may be
// Adaptive; RunOptions.Throttle pauses it between batches. The job's key is
// checked first: a key that allows NULL or is not unique is refused.
//
// Run writes job's table, and records its progress in iterbench_progress
// under JOB/STRATEGY (parallel-keyset: JOB/parallel-keyset/N per range,
// and its boundaries).
func Run[T any](ctx context.Context, db *gorm.DB, def Job[T], opts RunOptions) (RunStats, error) {
	var st RunStats
	j, err := job.Of(def)
	if err != nil {
		return st, inputError{err}
	}
	s, err := runStrategy(opts.Strategy)
	if err != nil {
		return st, inputError{err}
	}
	if !strategies.Supported(s, database.KindOf(db), j) {
		return st, inputError{fmt.Errorf("RunOptions.Strategy %s does not run job %s on %s (set-based needs the job's SQL for it)", s.Name(), j.Name, database.KindOf(db))}
	}
	stop := ctx
	if !opts.NoSignals {
		var cancel context.CancelFunc
		stop, cancel = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer cancel()
	}
	if err := source.CheckKey(ctx, db, j); err != nil {
		return st, inputError{err}
	}
	var sizer strategies.Sizer
	switch b := opts.Batch.(type) {
	case nil:
		if s.Name() != (strategies.KeysetAdaptive{}).Name() {
			sizer = strategies.Fixed(strategies.DefaultBatchSize)
		}
	case int:
		if b <= 0 {
			return st, inputError{fmt.Errorf("RunOptions.Batch %d: want a positive number of rows", b)}
		}
		sizer = strategies.Fixed(b)
	case Adaptive:
		sizer = b.NewSizer()
	default:
		return st, inputError{fmt.Errorf("RunOptions.Batch: a %T is neither rows (int) nor Adaptive", opts.Batch)}
	}
	if opts.Workers < 0 {
		return st, inputError{fmt.Errorf("RunOptions.Workers %d: want a positive number, or 0 for %d", opts.Workers, strategies.DefaultWorkers)}
	}
	if opts.Restart {
		if err := seed.ClearProgress(ctx, db, j.Name); err != nil {
			return st, err
		}
	}
	cfg := strategies.Config{Job: j, BulkForm: strategies.BulkForm(opts.BulkForm), Workers: opts.Workers, Resume: true}
	total, resumed, err := s.Remaining(ctx, db, cfg, strategies.Batches{})
	if err != nil {
		return st, err
	}
	st.Resumed = resumed
	start := time.Now()
	batches := strategies.Batches{
		Sizer: sizer, Stop: stop, Throttle: opts.Throttle,
		OnPause: func(d time.Duration, reason string) {
			st.Pauses = append(st.Pauses, Pause{At: time.Now(), Seconds: d.Seconds(), Reason: reason})
		},
		OnBatch: func(b strategies.BatchInfo) {
			st.Rows += int64(b.Rows)
			if opts.Progress != nil {
				p := Progress{Rows: st.Rows, Total: total, Batch: b.Rows}
				if s := time.Since(start).Seconds(); s > 0 {
					p.RowsPerSecond = float64(st.Rows) / s
				}
				if p.RowsPerSecond > 0 && total > st.Rows {
					p.Remaining = time.Duration(float64(total-st.Rows) / p.RowsPerSecond * float64(time.Second))
				}
				opts.Progress(p)
			}
		},
	}
	stats, err := s.Loop(ctx, db, cfg, batches)
	st.Duration = time.Since(start)
	// The loop's own record of its batches, the one the harness reports.
	if b := stats.Batches; b != nil {
		st.Batches, st.RowsMin, st.RowsMax = b.Count, b.RowsMin, b.RowsMax
		st.BatchSecondsP50, st.BatchSecondsP99 = b.SecondsP50, b.SecondsP99
	}
	if errors.Is(err, strategies.ErrStopped) {
		st.Stopped = true
		return st, nil
	}
	return st, err
}

// runStrategy returns the resumable strategy called name (empty:
// keyset-bulk).
func runStrategy(name string) (strategies.Resumable, error) {
	if name == "" {
		return strategies.KeysetBulk{}, nil
	}
	s, err := strategies.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("RunOptions.Strategy: %w", err)
	}
	if _, ok := s.(strategies.Layered); ok {
		return nil, fmt.Errorf("RunOptions.Strategy %s is a driver form, a measurement of what GORM costs: run %s", name, strings.TrimSuffix(name, strategies.DriverSuffix))
	}
	r, ok := s.(strategies.Resumable)
	if !ok {
		var names []string
		for _, s := range strategies.All() {
			if _, ok := s.(strategies.Resumable); ok {
				names = append(names, s.Name())
			}
		}
		return nil, fmt.Errorf("RunOptions.Strategy %s does not record its progress, so it cannot resume: take one of %s", name, strings.Join(names, ", "))
	}
	return r, nil
}
