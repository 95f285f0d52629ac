package strategies

import (
	"context"
	"fmt"

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
	t := tracker{cfg: cfg}
	w, err := newBatchWriter(ctx, db, cfg, &t)
	if err != nil {
		return t.done(), err
	}
	name := KeysetBulk{}.Name()
	w.progress = progressName(cfg.Job, name)
	after, err := loadProgress(ctx, db, cfg, name)
	if err != nil {
		return t.done(), err
	}
	err = keysetPages(ctx, db, cfg.Job, cfg.batch(), after, nil, &t, w.writePage(ctx))
	return t.done(), err
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
