package strategies

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// LoadAll reads the whole table into memory with one query, then saves each
// row with a statement of its own. Its memory grows with the table: this is
// the strategy that got the original backfill OOM-killed.
type LoadAll struct{}

// Name implements Strategy.
func (LoadAll) Name() string { return "load-all" }

// Description implements Strategy.
func (LoadAll) Description() string {
	return "read every row into one slice (Find), then save each row with its own UPDATE"
}

// Run implements Strategy.
func (LoadAll) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	all, err := cfg.Job.Rows.Find(cfg.Job.Query(ctx, db).Order(cfg.Job.KeyOrder(db)))
	if err != nil {
		return t.done(), fmt.Errorf("load all rows: %w", err)
	}
	t.reads(1)
	err = savePage(ctx, db, cfg.Job, &t)(all)
	return t.done(), err
}
