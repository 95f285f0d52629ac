package strategies

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/job"
)

// ParallelKeyset splits the key range into Workers disjoint ranges at
// boundary rows found by a query (never by arithmetic on ids, which breaks
// on UUIDs and gaps) and runs keyset-bulk on each at once, every worker
// with its own connections and its own progress record.
type ParallelKeyset struct{}

// Name implements Strategy.
func (ParallelKeyset) Name() string { return "parallel-keyset" }

// Description implements Strategy.
func (ParallelKeyset) Description() string {
	return "split the key range at boundary rows among --workers goroutines, each reading keyset pages and writing them with bulk UPDATEs"
}

// DefaultWorkers is the number of parallel-keyset workers when none is
// configured.
const DefaultWorkers = 4

// Run implements Strategy.
func (ParallelKeyset) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	workers := cfg.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	bounds, err := boundaries(ctx, db, cfg.Job, workers, &t)
	if err != nil {
		return t.done(), err
	}
	g, gctx := errgroup.WithContext(ctx)
	for i := range len(bounds) + 1 {
		var after, upTo []any
		if i > 0 {
			after = bounds[i-1]
		}
		if i < len(bounds) {
			upTo = bounds[i]
		}
		g.Go(func() error {
			w, err := newBatchWriter(gctx, db, cfg, &t)
			if err != nil {
				return err
			}
			name := fmt.Sprintf("%s/%d", ParallelKeyset{}.Name(), i)
			w.progress = progressName(cfg.Job, name)
			last, err := loadProgress(gctx, db, cfg, name)
			if err != nil {
				return err
			}
			if last != nil {
				after = last
			}
			return keysetPages(gctx, db, cfg.Job, cfg.batch(), after, upTo, &t, w.writePage(gctx))
		})
	}
	err = g.Wait()
	return t.done(), err
}

// boundaries returns the keys that split j's rows into n ranges of about
// the same number of rows: the key of every (total·i/n)th row in key order,
// found with ORDER BY key LIMIT 1 OFFSET k, as Spirit's chunker does. An
// empty table has none; a table of fewer than n rows, fewer.
func boundaries(ctx context.Context, db *gorm.DB, j *job.Job, n int, t *tracker) ([][]any, error) {
	var total int64
	if err := j.Query(ctx, db).Select("COUNT(*)").Scan(&total).Error; err != nil {
		return nil, fmt.Errorf("count rows: %w", err)
	}
	t.reads(1)
	var out [][]any
	prev := int64(-1)
	for i := 1; i < n; i++ {
		k := total*int64(i)/int64(n) - 1
		if k < 0 || k == prev {
			continue
		}
		prev = k
		key, err := keyAt(ctx, db, j, nil, k)
		if err != nil {
			return nil, err
		}
		t.reads(1)
		if key != nil {
			out = append(out, key)
		}
	}
	return out, nil
}

// keyAt returns the key of the row offset rows after the first row past
// after (nil: from the first row), in key order, or nil when there is none.
func keyAt(ctx context.Context, db *gorm.DB, j *job.Job, after []any, offset int64) ([]any, error) {
	q := j.Query(ctx, db).Select(j.KeyColumns(db))
	if after != nil {
		gt, args, err := keyBound(db, j, ">")
		if err != nil {
			return nil, err
		}
		q = q.Where(gt, args(after)...)
	}
	rs, err := q.Order(j.KeyOrder(db)).Offset(int(offset)).Limit(1).Rows()
	if err != nil {
		return nil, fmt.Errorf("find the boundary row at %d: %w", offset, err)
	}
	defer rs.Close()
	if !rs.Next() {
		return nil, rs.Err()
	}
	key, err := job.ScanKey(j, rs)
	if err != nil {
		return nil, fmt.Errorf("find the boundary row at %d: %w", offset, err)
	}
	return key, rs.Close()
}
