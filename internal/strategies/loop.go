package strategies

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/iterbench/iterbench/internal/database"
)

// Batches says how a resumable strategy's Loop sizes, paces and reports
// its batches.
type Batches struct {
	// Name is the one its progress is recorded under; empty: the
	// strategy's own.
	Name string
	// Sizer sizes each batch; nil: Fixed at the configured batch size. The
	// ranges of parallel-keyset share it.
	Sizer Sizer
	// Stop, if set, ends the loop before the next batch once it is done:
	// the batch under way finishes and is committed (its statements run
	// under ctx's values without its cancellation).
	Stop context.Context
	// Throttle, if set, is asked before every batch how long to pause and
	// why (0: not at all). parallel-keyset's ranges ask it at once.
	Throttle func(ctx context.Context) (pause time.Duration, reason string)
	// OnBatch, if set, is told of every batch written; never twice at
	// once.
	OnBatch func(Batch BatchInfo)
	// OnPause, if set, is told of every pause the throttle asked for;
	// never twice at once.
	OnPause func(pause time.Duration, reason string)
}

// named returns b with Name set to name unless it has one, Sizer set to
// Fixed at cfg's batch size unless it has one, and its callbacks
// serialised.
func (b Batches) named(name string, cfg Config) Batches {
	if b.Name == "" {
		b.Name = name
	}
	if b.Sizer == nil {
		b.Sizer = Fixed(cfg.batch())
	}
	var mu sync.Mutex
	if f := b.OnBatch; f != nil {
		b.OnBatch = func(i BatchInfo) { mu.Lock(); defer mu.Unlock(); f(i) }
	}
	if f := b.OnPause; f != nil {
		b.OnPause = func(d time.Duration, r string) { mu.Lock(); defer mu.Unlock(); f(d, r) }
	}
	return b
}

// BatchInfo is one batch a Loop wrote.
type BatchInfo struct {
	// Size is the rows asked for; Rows those written.
	Size, Rows int
	// Bytes is about the bytes of the columns read (job.Page.Bytes); 0
	// for set-based, which reads none.
	Bytes int64
	// Took is the batch's own read, computation and write, pauses and
	// retries excluded.
	Took time.Duration
	// Last is the last key written, recorded as the progress; nil for
	// set-based's last range, which is not recorded.
	Last []any
}

// ErrStopped is returned by a Loop when Batches.Stop ended it before every
// row was written: what was written is committed and recorded, and a run
// with Config.Resume continues after it.
var ErrStopped = errors.New("stopped after the batch under way")

// step is one batch of a loop: it writes up to size rows under work, and
// says what it wrote.
type step func(work context.Context, size int) (batchResult, error)

// batchResult is what a step did.
type batchResult struct {
	// rows is the rows written; span the rows the batch covered (0: rows),
	// which is what its sizer learns from.
	rows, span int
	bytes      int64
	last       []any
	// end is set when the batch was the last.
	end bool
}

// batchLoop runs do batch after batch until a batch is the last, ctx or
// b.Stop ends it, or a batch fails: between batches it asks b.Throttle, and
// after each it tells b.Sizer, t and b.OnBatch. A batch that fails with a
// lock or statement timeout is tried again, smaller, when b.Sizer says so.
// b must come from Batches.named.
func batchLoop(ctx context.Context, b Batches, t *tracker, do step) error {
	work := context.WithoutCancel(ctx)
	stop := b.Stop
	if stop == nil {
		work, stop = ctx, ctx
	}
	for {
		if b.Stop != nil && b.Stop.Err() != nil {
			return ErrStopped
		}
		if err := ctx.Err(); err != nil && b.Stop == nil {
			return err
		}
		if b.Throttle != nil {
			if pause, reason := b.Throttle(ctx); pause > 0 {
				if b.OnPause != nil {
					b.OnPause(pause, reason)
				}
				t.pause(pause)
				select {
				case <-time.After(pause):
				case <-stop.Done():
				}
				continue
			}
		}
		size := b.Sizer.Next()
		start := time.Now()
		r, err := do(work, size)
		took := time.Since(start)
		if err != nil {
			if database.IsLockTimeout(err) && b.Sizer.Failed() {
				continue // the same range, smaller
			}
			return err
		}
		if r.rows == 0 && r.end {
			return nil
		}
		span := r.span
		if span == 0 {
			span = r.rows
		}
		b.Sizer.Done(span, r.bytes, took)
		t.batch(r.rows, took)
		t.add(int64(r.rows))
		if b.OnBatch != nil {
			b.OnBatch(BatchInfo{Size: size, Rows: r.rows, Bytes: r.bytes, Took: took, Last: r.last})
		}
		if r.end {
			return nil
		}
	}
}

// lockedSizer shares a Sizer among goroutines.
type lockedSizer struct {
	mu sync.Mutex
	s  Sizer
}

// Next implements Sizer.
func (l *lockedSizer) Next() int { l.mu.Lock(); defer l.mu.Unlock(); return l.s.Next() }

// Done implements Sizer.
func (l *lockedSizer) Done(rows int, bytes int64, took time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.s.Done(rows, bytes, took)
}

// Failed implements Sizer.
func (l *lockedSizer) Failed() bool { l.mu.Lock(); defer l.mu.Unlock(); return l.s.Failed() }
