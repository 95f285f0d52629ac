package strategies

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/database"
	"github.com/iterbench/iterbench/items"
)

// saveRow recomputes one row's score and writes it with its own UPDATE
// statement, the way an ORM's save() does.
func saveRow(ctx context.Context, db *gorm.DB, it *items.Item) error {
	score, err := items.Score(it.Data)
	if err != nil {
		return fmt.Errorf("row %d: %w", it.ID, err)
	}
	it.Score = score
	if err := db.WithContext(ctx).Model(it).UpdateColumn("score", score).Error; err != nil {
		return fmt.Errorf("update row %d: %w", it.ID, err)
	}
	return nil
}

// savePage returns a page callback that saves every row of the page with
// its own UPDATE.
func savePage(ctx context.Context, db *gorm.DB, t *tracker) func([]items.Item) error {
	return func(page []items.Item) error {
		for i := range page {
			if err := saveRow(ctx, db, &page[i]); err != nil {
				return err
			}
			t.writes(1)
			t.add(1)
		}
		return nil
	}
}

// batchWriter collects recomputed scores and writes them with one bulk
// statement per full batch.
type batchWriter struct {
	db     *gorm.DB
	form   BulkForm
	size   int
	ids    []int64
	scores []int64
	t      *tracker
	// progress, if set, is the key under which each flush records the last
	// id it wrote, in the same transaction (ids must come in order).
	progress string
}

func newBatchWriter(db *gorm.DB, cfg Config, t *tracker) (*batchWriter, error) {
	form, err := ResolveBulkForm(database.KindOf(db), cfg.BulkForm)
	if err != nil {
		return nil, err
	}
	n := cfg.batch()
	return &batchWriter{db: db, form: form, size: n, ids: make([]int64, 0, n), scores: make([]int64, 0, n), t: t}, nil
}

// add recomputes it's score and queues it, flushing when the batch is full.
func (w *batchWriter) add(ctx context.Context, it *items.Item) error {
	score, err := items.Score(it.Data)
	if err != nil {
		return fmt.Errorf("row %d: %w", it.ID, err)
	}
	w.ids = append(w.ids, it.ID)
	w.scores = append(w.scores, score)
	if len(w.ids) >= w.size {
		return w.flush(ctx)
	}
	return nil
}

// writePage returns a page callback that queues every row of the page and
// writes them with one statement.
func (w *batchWriter) writePage(ctx context.Context) func([]items.Item) error {
	return func(page []items.Item) error {
		for i := range page {
			if err := w.add(ctx, &page[i]); err != nil {
				return err
			}
		}
		return w.flush(ctx)
	}
}

// flush writes the queued scores, if any.
func (w *batchWriter) flush(ctx context.Context) error {
	if len(w.ids) == 0 {
		return nil
	}
	write := func(db *gorm.DB) error { return BulkUpdate(ctx, db, w.form, w.ids, w.scores) }
	var err error
	if w.progress != "" {
		err = withProgress(ctx, w.db, w.progress, w.ids[len(w.ids)-1], write)
	} else {
		err = write(w.db)
	}
	if err != nil {
		return err
	}
	w.t.writes(1)
	w.t.add(int64(len(w.ids)))
	w.ids, w.scores = w.ids[:0], w.scores[:0]
	return nil
}
