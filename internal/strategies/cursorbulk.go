package strategies

import (
	"context"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/job"
)

// CursorBulk streams the table like Cursor but collects BatchSize rows and
// writes them back with one bulk UPDATE per batch, on a second connection.
type CursorBulk struct{}

// Name implements Strategy.
func (CursorBulk) Name() string { return "cursor-bulk" }

// Description implements Strategy.
func (CursorBulk) Description() string {
	return "stream rows from one open query, write each batch with one bulk UPDATE on a second connection"
}

// Run implements Strategy.
func (CursorBulk) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	w, err := newBatchWriter(ctx, db, cfg, &t)
	if err != nil {
		return t.done(), err
	}
	err = stream(ctx, db, cfg.Job, &t, func(p job.Page) error { return w.add(ctx, p, 0) })
	if err == nil {
		err = w.flush(ctx)
	}
	return t.done(), err
}
