package strategies

import (
	"context"

	"gorm.io/gorm"
)

// KeysetAdaptive is keyset-bulk with the batch size adapted to take
// Config.BatchTarget each (see Adaptive): the form iterbench.Run runs with
// RunOptions.Batch set to Adaptive.
type KeysetAdaptive struct{}

// Name implements Strategy.
func (KeysetAdaptive) Name() string { return "keyset-adaptive" }

// Description implements Strategy.
func (KeysetAdaptive) Description() string {
	return "keyset-bulk with each batch sized to take --batch-target (pt-osc's decaying averages, Spirit's guards, at most 16 MiB read)"
}

// Resumable implements Resumable.
func (KeysetAdaptive) Resumable() {}

// PageMethod implements Pager.
func (KeysetAdaptive) PageMethod() PageMethod { return KeysetPaging }

// Run implements Strategy.
func (KeysetAdaptive) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	sizer := Adaptive{Target: cfg.BatchTarget, StartRows: cfg.batch()}.NewSizer()
	return KeysetLoop(ctx, db, cfg, Batches{Name: KeysetAdaptive{}.Name(), Sizer: sizer})
}
