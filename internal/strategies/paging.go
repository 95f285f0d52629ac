package strategies

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/job"
)

// Paging reads the table the way Django's Paginator does: COUNT(*) first,
// then one ORDER BY key LIMIT n OFFSET k query per page, and saves each row
// with a statement of its own. Memory stays bounded by the page size, but
// every page re-reads the rows it skips.
type Paging struct{}

// Name implements Strategy.
func (Paging) Name() string { return "paging" }

// Description implements Strategy.
func (Paging) Description() string {
	return "COUNT, then ORDER BY key LIMIT n OFFSET k page by page, save each row with its own UPDATE"
}

// Run implements Strategy.
func (Paging) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	err := pages(ctx, db, cfg.Job, cfg.batch(), &t, savePage(ctx, db, cfg.Job, &t))
	return t.done(), err
}

// pages counts the rows, then reads them size at a time with LIMIT/OFFSET
// and calls fn for each page.
func pages(ctx context.Context, db *gorm.DB, j *job.Job, size int, t *tracker, fn func(job.Page) error) error {
	var total int64
	if err := j.Query(ctx, db).Select("COUNT(*)").Scan(&total).Error; err != nil {
		return fmt.Errorf("count rows: %w", err)
	}
	t.reads(1)
	for offset := 0; int64(offset) < total; offset += size {
		page, err := j.Rows.Find(j.Query(ctx, db).Order(j.KeyOrder(db)).Limit(size).Offset(offset))
		if err != nil {
			return fmt.Errorf("read page at offset %d: %w", offset, err)
		}
		t.reads(1)
		if err := fn(page); err != nil {
			return err
		}
	}
	return nil
}
