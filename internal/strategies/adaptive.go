package strategies

import (
	"cmp"
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

// PageMethod implements Pager.
func (KeysetAdaptive) PageMethod() PageMethod { return KeysetPaging }

// Run implements Strategy.
func (s KeysetAdaptive) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	return s.Loop(ctx, db, cfg, Batches{})
}

// Loop implements Resumable: keyset-bulk, sized by b.Sizer or else by
// Adaptive aiming at cfg.BatchTarget.
func (s KeysetAdaptive) Loop(ctx context.Context, db *gorm.DB, cfg Config, b Batches) (Stats, error) {
	if b.Sizer == nil {
		b.Sizer = Adaptive{Target: cfg.BatchTarget, StartRows: cfg.batch()}.NewSizer()
	}
	return keysetLoop(ctx, db, cfg, b.named(s.Name(), cfg))
}

// Remaining implements Resumable.
func (s KeysetAdaptive) Remaining(ctx context.Context, db *gorm.DB, cfg Config, b Batches) (int64, bool, error) {
	return remaining(ctx, db, cfg, cmp.Or(b.Name, s.Name()))
}
