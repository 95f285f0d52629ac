package strategies

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/items"
)

// Keyset reads the table page by page with the seek method, WHERE id > last
// ORDER BY id LIMIT n, as GORM's FindInBatches and Rails' find_each do, and
// saves each row with a statement of its own. Every page starts where the
// last one ended, so no page re-reads skipped rows.
type Keyset struct{}

// Name implements Strategy.
func (Keyset) Name() string { return "keyset" }

// Description implements Strategy.
func (Keyset) Description() string {
	return "WHERE id > last ORDER BY id LIMIT n page by page (seek method), save each row with its own UPDATE"
}

// Run implements Strategy.
func (Keyset) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	err := keysetPages(ctx, db, cfg.batch(), 0, 0, &t, savePage(ctx, db, &t))
	return t.done(), err
}

// KeysetBulk reads the same keyset pages as Keyset and writes each page back
// with one bulk UPDATE, recording the page's last id in the same
// transaction, so that it can resume.
type KeysetBulk struct{}

// Name implements Strategy.
func (KeysetBulk) Name() string { return "keyset-bulk" }

// Description implements Strategy.
func (KeysetBulk) Description() string {
	return "WHERE id > last ORDER BY id LIMIT n page by page (seek method), write each page with one bulk UPDATE"
}

// Run implements Strategy.
func (KeysetBulk) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	w, err := newBatchWriter(db, cfg, &t)
	if err != nil {
		return t.done(), err
	}
	w.progress = KeysetBulk{}.Name()
	after, err := loadProgress(ctx, db, cfg, w.progress)
	if err != nil {
		return t.done(), err
	}
	err = keysetPages(ctx, db, cfg.batch(), after, 0, &t, w.writePage(ctx))
	return t.done(), err
}

// keysetPages reads the rows with after < id <= upTo (no upper bound when
// upTo is 0) in pages of size, in id order, and calls fn for each page.
func keysetPages(ctx context.Context, db *gorm.DB, size int, after, upTo int64, t *tracker, fn func([]items.Item) error) error {
	for {
		var page []items.Item
		q := db.WithContext(ctx).Where("id > ?", after)
		if upTo > 0 {
			q = q.Where("id <= ?", upTo)
		}
		if err := q.Order("id").Limit(size).Find(&page).Error; err != nil {
			return fmt.Errorf("read page after id %d: %w", after, err)
		}
		t.reads(1)
		if len(page) == 0 {
			return nil
		}
		if err := fn(page); err != nil {
			return err
		}
		if len(page) < size {
			return nil
		}
		after = page[len(page)-1].ID
	}
}
