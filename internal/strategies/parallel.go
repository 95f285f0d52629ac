package strategies

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/job"
)

// ParallelKeyset splits the key range into Workers disjoint ranges at
// boundary rows found by a query (never by arithmetic on ids, which breaks
// on UUIDs and gaps) and runs keyset-bulk on each at once, every range
// with its own connections and its own progress record. The boundaries are
// recorded before the first batch, so that a run that resumes splits the
// table as the one it continues did, whatever rows were added since and
// whatever Workers says.
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
func (s ParallelKeyset) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	return s.Loop(ctx, db, cfg, Batches{})
}

// keyRange is one of parallel-keyset's ranges: the rows with after < key
// <= upTo (no bound where nil), whose progress is recorded under name.
type keyRange struct {
	name        string
	after, upTo []any
}

// Loop implements Resumable. The ranges share b.Sizer, and ask b.Throttle
// each before its own batches.
func (s ParallelKeyset) Loop(ctx context.Context, db *gorm.DB, cfg Config, b Batches) (Stats, error) {
	b = b.named(s.Name(), cfg)
	t := tracker{cfg: cfg, batches: &BatchStats{}}
	ranges, err := parallelRanges(ctx, db, cfg, b.Name, &t)
	if err != nil {
		return t.done(), err
	}
	bulk, err := NewBulk(ctx, db, cfg.Job, cfg.BulkForm)
	if err != nil {
		return t.done(), err
	}
	if _, fixed := b.Sizer.(Fixed); !fixed && len(ranges) > 1 {
		b.Sizer = &lockedSizer{s: b.Sizer}
	}
	// A range that fails stops the others: those under a Stop after the
	// batch under way, the others at once.
	failed := func() {}
	rctx := ctx
	if b.Stop != nil {
		stop, cancel := context.WithCancel(b.Stop)
		defer cancel()
		b.Stop, failed = stop, cancel
	} else {
		var cancel context.CancelFunc
		rctx, cancel = context.WithCancel(ctx)
		defer cancel()
		failed = cancel
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for _, r := range ranges {
		wg.Go(func() {
			err := keysetRange(rctx, gormIO{db, cfg.Job}, cfg, b, &t, bulk, r.name, r.after, r.upTo)
			if err == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			// The first error, unless it is a stop a failure caused (or
			// one that came at the same time): a range's own error wins.
			if first == nil || errors.Is(first, ErrStopped) && !errors.Is(err, ErrStopped) {
				first = err
				failed()
			}
		})
	}
	wg.Wait()
	return t.done(), first
}

// Remaining implements Resumable: the rows left in every recorded range,
// or all of them.
func (s ParallelKeyset) Remaining(ctx context.Context, db *gorm.DB, cfg Config, b Batches) (int64, bool, error) {
	cfg.Resume = true
	name := cmp.Or(b.Name, s.Name())
	recorded, err := loadBounds(ctx, db, cfg, name)
	if err != nil {
		return 0, false, err
	}
	if recorded == nil {
		rows, err := countRange(ctx, db, cfg.Job, nil, nil)
		return rows, false, err
	}
	ranges, err := rangesOf(ctx, db, cfg, name, recorded)
	if err != nil {
		return 0, false, err
	}
	var total int64
	for _, r := range ranges {
		n, err := countRange(ctx, db, cfg.Job, r.after, r.upTo)
		if err != nil {
			return 0, false, err
		}
		total += n
	}
	return total, true, nil
}

// BoundsSuffix ends the name parallel-keyset's boundaries are recorded
// under, beside its ranges' progress (name/0, name/1, …): a record that
// says how the table was split, not how far a range got.
const BoundsSuffix = "/bounds"

// boundsName is the name parallel-keyset's boundaries are recorded under.
func boundsName(name string) string { return name + BoundsSuffix }

// parallelRanges returns the ranges of a run of parallel-keyset recorded
// under name: those recorded, each from its recorded progress, when cfg
// resumes one that recorded them; else new boundaries found and recorded.
func parallelRanges(ctx context.Context, db *gorm.DB, cfg Config, name string, t *tracker) ([]keyRange, error) {
	bounds, err := loadBounds(ctx, db, cfg, name)
	if err != nil {
		return nil, err
	}
	if bounds == nil {
		workers := cfg.Workers
		if workers <= 0 {
			workers = DefaultWorkers
		}
		if bounds, err = boundaries(ctx, db, cfg.Job, workers, t); err != nil {
			return nil, err
		}
		if err := retry(ctx, func() error {
			return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				return saveProgress(tx, progressName(cfg.Job, boundsName(name)), bounds)
			})
		}); err != nil {
			return nil, err
		}
	}
	return rangesOf(ctx, db, cfg, name, bounds)
}

// rangesOf returns the len(bounds)+1 ranges bounds split the key range
// into, each starting after its progress when cfg resumes.
func rangesOf(ctx context.Context, db *gorm.DB, cfg Config, name string, bounds [][]any) ([]keyRange, error) {
	ranges := make([]keyRange, len(bounds)+1)
	for i := range ranges {
		r := &ranges[i]
		r.name = fmt.Sprintf("%s/%d", name, i)
		if i > 0 {
			r.after = bounds[i-1]
		}
		if i < len(bounds) {
			r.upTo = bounds[i]
		}
		last, err := loadProgress(ctx, db, cfg, r.name)
		if err != nil {
			return nil, err
		}
		if last != nil {
			r.after = last
		}
		r.name = progressName(cfg.Job, r.name)
	}
	return ranges, nil
}

// loadBounds returns the boundaries recorded under name, or nil when cfg
// does not resume or none were recorded.
func loadBounds(ctx context.Context, db *gorm.DB, cfg Config, name string) ([][]any, error) {
	raw, err := loadRecord(ctx, db, cfg, boundsName(name))
	if raw == nil || err != nil {
		return nil, err
	}
	var keys []json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return nil, fmt.Errorf("boundaries of %s: %w", name, err)
	}
	bounds := make([][]any, len(keys))
	for i, k := range keys {
		if bounds[i], err = decodeKey(cfg.Job, k); err != nil {
			return nil, fmt.Errorf("boundaries of %s: %w", name, err)
		}
	}
	return bounds, nil
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
