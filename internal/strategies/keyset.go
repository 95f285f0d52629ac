package strategies

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
)

// Keyset reads the table page by page with the seek method, WHERE key >
// last ORDER BY key LIMIT n, as GORM's FindInBatches and Rails' find_each
// do, and saves each row with a statement of its own. Every page starts
// where the last one ended, so no page re-reads skipped rows. A key of
// several columns is compared as a row value (written out on MariaDB).
type Keyset struct{}

// Name implements Strategy.
func (Keyset) Name() string { return "keyset" }

// Description implements Strategy.
func (Keyset) Description() string {
	return "WHERE key > last ORDER BY key LIMIT n page by page (seek method), save each row with its own UPDATE"
}

// Run implements Strategy.
func (Keyset) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	err := keysetPages(ctx, db, cfg.Job, cfg.batch(), nil, nil, &t, savePage(ctx, db, cfg.Job, &t))
	return t.done(), err
}

// KeysetBulk reads the same keyset pages as Keyset and writes each page back
// with one bulk UPDATE, recording the page's last key in the same
// transaction, so that it can resume.
type KeysetBulk struct{}

// Name implements Strategy.
func (KeysetBulk) Name() string { return "keyset-bulk" }

// Description implements Strategy.
func (KeysetBulk) Description() string {
	return "WHERE key > last ORDER BY key LIMIT n page by page (seek method), write each page with one bulk UPDATE"
}

// Run implements Strategy.
func (KeysetBulk) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	return KeysetLoop(ctx, db, cfg, Batches{Sizer: Fixed(cfg.batch())})
}

// Batches says how KeysetLoop sizes, paces and reports its batches.
type Batches struct {
	// Name is the strategy's, under which its progress is recorded;
	// empty: keyset-bulk.
	Name string
	// Sizer sizes each batch; nil: Fixed at the configured batch size.
	Sizer Sizer
	// Stop, if set, ends the loop before the next batch once it is done:
	// the batch under way finishes and is committed (its statements run
	// under ctx's values without its cancellation).
	Stop context.Context
	// Throttle, if set, is asked before every batch how long to pause and
	// why (0: not at all).
	Throttle func(ctx context.Context) (pause time.Duration, reason string)
	// OnBatch, if set, is told of every batch written.
	OnBatch func(Batch BatchInfo)
	// OnPause, if set, is told of every pause the throttle asked for.
	OnPause func(pause time.Duration, reason string)
}

// BatchInfo is one batch KeysetLoop wrote.
type BatchInfo struct {
	// Size is the rows asked for; Rows those read and written.
	Size, Rows int
	// Bytes is about the bytes of the columns read (job.Page.Bytes).
	Bytes int64
	// Took is the batch's own read, computation and write, pauses and
	// retries excluded.
	Took time.Duration
	// Last is the last key written, recorded as the progress.
	Last []any
}

// ErrStopped is returned by KeysetLoop when Batches.Stop ended it before
// every row was written: what was written is committed and recorded, and
// a run with Config.Resume continues after it.
var ErrStopped = errors.New("stopped after the batch under way")

// KeysetLoop is keyset-bulk: keyset pages in key order, each computed and
// written with one bulk statement that records the page's last key in the
// same transaction, so that a run with Config.Resume continues after it.
// The production form (iterbench.Run) and the harness's strategies share
// it, with their own Batches.
func KeysetLoop(ctx context.Context, db *gorm.DB, cfg Config, b Batches) (Stats, error) {
	t := tracker{cfg: cfg}
	j := cfg.Job
	bulk, err := NewBulk(ctx, db, j, cfg.BulkForm)
	if err != nil {
		return t.done(), err
	}
	if b.Sizer == nil {
		b.Sizer = Fixed(cfg.batch())
	}
	name := cmp.Or(b.Name, KeysetBulk{}.Name())
	progress := progressName(j, name)
	bs := &BatchStats{}
	t.batches = bs
	after, err := loadProgress(ctx, db, cfg, name)
	if err != nil {
		return t.done(), err
	}
	gt, gtArgs, err := keyBound(db, j, ">")
	if err != nil {
		return t.done(), err
	}
	work := context.WithoutCancel(ctx)
	if b.Stop == nil {
		work = ctx
	}
	// The bytes read are counted only where something uses them: the
	// harness's keyset-bulk does not pay for it.
	_, fixed := b.Sizer.(Fixed)
	countBytes := !fixed || b.OnBatch != nil
	var batch Batch
	for {
		if b.Stop != nil && b.Stop.Err() != nil {
			return t.done(), ErrStopped
		}
		if err := ctx.Err(); err != nil && b.Stop == nil {
			return t.done(), err
		}
		if b.Throttle != nil {
			if pause, reason := b.Throttle(ctx); pause > 0 {
				if b.OnPause != nil {
					b.OnPause(pause, reason)
				}
				bs.Pauses++
				bs.PauseSeconds += pause.Seconds()
				stop := ctx
				if b.Stop != nil {
					stop = b.Stop
				}
				select {
				case <-time.After(pause):
				case <-stop.Done():
				}
				continue
			}
		}
		size := b.Sizer.Next()
		start := time.Now()
		q := j.Query(work, db)
		if after != nil {
			q = q.Where(gt, gtArgs(after)...)
		}
		page, err := j.Rows.Find(q.Order(j.KeyOrder(db)).Limit(size))
		if err != nil {
			if database.IsLockTimeout(err) && b.Sizer.Failed() {
				continue
			}
			return t.done(), fmt.Errorf("read page after key %v: %w", after, err)
		}
		t.reads(1)
		n := page.Len()
		if n == 0 {
			return t.done(), nil
		}
		batch.Reset()
		var bytes int64
		for i := range n {
			if err := page.Compute(i); err != nil {
				return t.done(), fmt.Errorf("row %v: %w", page.Key(i), err)
			}
			batch.Add(bulk, page, i)
			if countBytes {
				bytes += page.Bytes(i)
			}
		}
		last := page.Key(n - 1)
		err = withProgress(work, db, progress, last, func(tx *gorm.DB) error { return bulk.Write(work, tx, &batch) })
		took := time.Since(start)
		if err != nil {
			if database.IsLockTimeout(err) && b.Sizer.Failed() {
				continue // the same range, smaller
			}
			return t.done(), err
		}
		b.Sizer.Done(n, bytes, took)
		t.batch(n, took)
		t.writes(1)
		t.add(int64(n))
		if b.OnBatch != nil {
			b.OnBatch(BatchInfo{Size: size, Rows: n, Bytes: bytes, Took: took, Last: last})
		}
		if n < size {
			return t.done(), nil
		}
		after = last
	}
}

// keysetPages reads the rows with after < key <= upTo (no bound where nil)
// in pages of size, in key order, and calls fn for each page.
func keysetPages(ctx context.Context, db *gorm.DB, j *job.Job, size int, after, upTo []any, t *tracker, fn func(job.Page) error) error {
	gt, gtArgs, err := keyBound(db, j, ">")
	if err != nil {
		return err
	}
	le, leArgs, _ := keyBound(db, j, "<=")
	for {
		q := j.Query(ctx, db)
		if after != nil {
			q = q.Where(gt, gtArgs(after)...)
		}
		if upTo != nil {
			q = q.Where(le, leArgs(upTo)...)
		}
		page, err := j.Rows.Find(q.Order(j.KeyOrder(db)).Limit(size))
		if err != nil {
			return fmt.Errorf("read page after key %v: %w", after, err)
		}
		t.reads(1)
		n := page.Len()
		if n == 0 {
			return nil
		}
		last := page.Key(n - 1)
		if err := fn(page); err != nil {
			return err
		}
		if n < size {
			return nil
		}
		after = last
	}
}

// keyBound is database.KeyBound for j's key on db's database.
func keyBound(db *gorm.DB, j *job.Job, op string) (string, func([]any) []any, error) {
	kind := database.KindOf(db)
	return database.KeyBound(kind, database.QuoteAll(kind, j.Key), op)
}

// KeysetRemaining counts the rows of j KeysetLoop has left to do when it
// resumes: those after the key it recorded, or all of them; resumed says
// whether a key was recorded.
func KeysetRemaining(ctx context.Context, db *gorm.DB, j *job.Job) (rows int64, resumed bool, err error) {
	after, err := loadProgress(ctx, db, Config{Job: j, Resume: true}, KeysetBulk{}.Name())
	if err != nil {
		return 0, false, err
	}
	q := j.Query(ctx, db)
	if after != nil {
		gt, args, err := keyBound(db, j, ">")
		if err != nil {
			return 0, false, err
		}
		q = q.Where(gt, args(after)...)
	}
	if err := q.Select("COUNT(*)").Scan(&rows).Error; err != nil {
		return 0, false, fmt.Errorf("count the rows of %s: %w", j.Table, err)
	}
	return rows, after != nil, nil
}
