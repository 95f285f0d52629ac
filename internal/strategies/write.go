package strategies

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
)

// rowUpdate is the statement that writes one row's written columns, the way
// an ORM's save() does: UPDATE t SET a = ?, b = ? WHERE key = ?.
func rowUpdate(kind database.Kind, j *job.Job) string {
	sets := make([]string, len(j.Write))
	for i, w := range j.Write {
		sets[i] = database.Quote(kind, w) + " = ?"
	}
	return "UPDATE " + database.Quote(kind, j.Table) + " SET " + strings.Join(sets, ", ") + " WHERE " + database.KeyEqual(database.QuoteAll(kind, j.Key), "")
}

// saveRow computes row i of p and writes it with its own UPDATE statement.
func saveRow(ctx context.Context, db *gorm.DB, j *job.Job, update string, p job.Page, i int) error {
	if err := p.Compute(i); err != nil {
		return fmt.Errorf("row %v: %w", p.Key(i), err)
	}
	key := p.Key(i)
	args := append(p.Values(i, j.Write), key...)
	if err := retry(ctx, func() error { return db.WithContext(ctx).Exec(update, args...).Error }); err != nil {
		return fmt.Errorf("update row %v: %w", key, err)
	}
	return nil
}

// savePage returns a page callback that saves every row of the page with
// its own UPDATE.
func savePage(ctx context.Context, db *gorm.DB, j *job.Job, t *tracker) func(job.Page) error {
	update := rowUpdate(database.KindOf(db), j)
	return func(p job.Page) error {
		for i := range p.Len() {
			if err := saveRow(ctx, db, j, update, p, i); err != nil {
				return err
			}
			t.writes(1)
			t.add(1)
		}
		return nil
	}
}

// batchWriter collects computed rows and writes them with one bulk
// statement per full batch.
type batchWriter struct {
	db    *gorm.DB
	bulk  *Bulk
	size  int
	batch Batch
	t     *tracker
	// progress, if set, is the name under which each flush records the last
	// key it wrote, in the same transaction (keys must come in order).
	progress string
}

func newBatchWriter(ctx context.Context, db *gorm.DB, cfg Config, t *tracker) (*batchWriter, error) {
	bulk, err := NewBulk(ctx, db, cfg.Job, cfg.BulkForm)
	if err != nil {
		return nil, err
	}
	return &batchWriter{db: db, bulk: bulk, size: cfg.batch(), t: t}, nil
}

// add computes row i of p and queues it, flushing when the batch is full.
func (w *batchWriter) add(ctx context.Context, p job.Page, i int) error {
	if err := p.Compute(i); err != nil {
		return fmt.Errorf("row %v: %w", p.Key(i), err)
	}
	w.batch.Add(w.bulk, p, i)
	if w.batch.Len() >= w.size {
		return w.flush(ctx)
	}
	return nil
}

// writePage returns a page callback that queues every row of the page and
// writes them with one statement.
func (w *batchWriter) writePage(ctx context.Context) func(job.Page) error {
	return func(p job.Page) error {
		for i := range p.Len() {
			if err := w.add(ctx, p, i); err != nil {
				return err
			}
		}
		return w.flush(ctx)
	}
}

// flush writes the queued rows, if any.
func (w *batchWriter) flush(ctx context.Context) error {
	n := w.batch.Len()
	if n == 0 {
		return nil
	}
	write := func(db *gorm.DB) error { return w.bulk.Write(ctx, db, &w.batch) }
	var err error
	if w.progress != "" {
		err = withProgress(ctx, w.db, w.progress, w.batch.Keys[n-1], write)
	} else {
		err = retry(ctx, func() error { return write(w.db) })
	}
	if err != nil {
		return err
	}
	w.t.writes(1)
	w.t.add(int64(n))
	w.batch.Reset()
	return nil
}
