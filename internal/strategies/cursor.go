package strategies

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/job"
)

// Cursor streams the table through one open query (GORM's Rows and
// ScanRows) and saves each row as it arrives. The open result set holds its
// connection, so every write goes over a second connection from the pool.
type Cursor struct{}

// Name implements Strategy.
func (Cursor) Name() string { return "cursor" }

// Description implements Strategy.
func (Cursor) Description() string {
	return "stream rows from one open query (Rows + ScanRows), save each with its own UPDATE on a second connection"
}

// Run implements Strategy.
func (Cursor) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	save := savePage(ctx, db, cfg.Job, &t)
	err := stream(ctx, db, cfg.Job, &t, save)
	return t.done(), err
}

// stream runs one query over the whole table in key order and calls fn
// with each row, in a reused one-row page.
func stream(ctx context.Context, db *gorm.DB, j *job.Job, t *tracker, fn func(job.Page) error) error {
	t.reads(1)
	if err := j.Rows.Stream(j.Query(ctx, db).Order(j.KeyOrder(db)), fn); err != nil {
		return fmt.Errorf("cursor: %w", err)
	}
	return nil
}
