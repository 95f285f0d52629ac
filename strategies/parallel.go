package strategies

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"github.com/iterbench/iterbench/items"
)

// ParallelKeyset splits the id range into Workers disjoint ranges and runs
// keyset-bulk on each at once, every worker with its own connections and
// its own progress record.
type ParallelKeyset struct{}

// Name implements Strategy.
func (ParallelKeyset) Name() string { return "parallel-keyset" }

// Description implements Strategy.
func (ParallelKeyset) Description() string {
	return "split the id range among --workers goroutines, each reading keyset pages and writing them with bulk UPDATEs"
}

// DefaultWorkers is the number of parallel-keyset workers when none is
// configured.
const DefaultWorkers = 4

// Run implements Strategy.
func (ParallelKeyset) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	lo, hi, err := idRange(ctx, db)
	if err != nil || hi < lo {
		return t.done(), err
	}
	t.reads(1)
	workers := cfg.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	span := (hi - lo + int64(workers)) / int64(workers)
	g, gctx := errgroup.WithContext(ctx)
	for i := range int64(workers) {
		after, upTo := lo-1+i*span, min(lo-1+(i+1)*span, hi)
		if after >= upTo {
			break
		}
		g.Go(func() error {
			w, err := newBatchWriter(db, cfg, &t)
			if err != nil {
				return err
			}
			w.progress = fmt.Sprintf("%s/%d", ParallelKeyset{}.Name(), i)
			last, err := loadProgress(gctx, db, cfg, w.progress)
			if err != nil {
				return err
			}
			return keysetPages(gctx, db, cfg.batch(), max(after, last), upTo, &t, w.writePage(gctx))
		})
	}
	err = g.Wait()
	return t.done(), err
}

// idRange returns the smallest and largest id; hi < lo for an empty table.
func idRange(ctx context.Context, db *gorm.DB) (lo, hi int64, err error) {
	var r struct{ Lo, Hi *int64 }
	if err := db.WithContext(ctx).Model(&items.Item{}).Select("MIN(id) AS lo, MAX(id) AS hi").Scan(&r).Error; err != nil {
		return 0, 0, fmt.Errorf("read id range: %w", err)
	}
	if r.Lo == nil || r.Hi == nil {
		return 1, 0, nil
	}
	return *r.Lo, *r.Hi, nil
}
