package strategies

import (
	"context"

	"gorm.io/gorm"
)

// PagingBulk reads the same LIMIT/OFFSET pages as Paging and writes each
// page back with one bulk UPDATE.
type PagingBulk struct{}

// Name implements Strategy.
func (PagingBulk) Name() string { return "paging-bulk" }

// Description implements Strategy.
func (PagingBulk) Description() string {
	return "COUNT, then ORDER BY key LIMIT n OFFSET k page by page, write each page with one bulk UPDATE"
}

// Run implements Strategy.
func (PagingBulk) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	w, err := newBatchWriter(ctx, db, cfg, &t)
	if err != nil {
		return t.done(), err
	}
	err = pages(ctx, db, cfg.Job, cfg.batch(), &t, w.writePage(ctx))
	return t.done(), err
}
