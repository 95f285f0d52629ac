package strategies

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
)

// Keyset reads the table page by page with the seek method, WHERE key >
// last ORDER BY key LIMIT n, as GORM's FindInBatches and Rails' find_each
// do, and saves each row with a statement of its own. Every page starts
// where the last one ended, so no page re-reads skipped rows. A key of
// several columns is compared as a row value (written out on MariaDB).
type Keyset struct{}

// Name implements Strategy.
func (Keyset) Name() string { return "keyset" }

// Description implements Strategy.
func (Keyset) Description() string {
	return "WHERE key > last ORDER BY key LIMIT n page by page (seek method), save each row with its own UPDATE"
}

// Run implements Strategy.
func (Keyset) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	err := keysetPages(ctx, db, cfg.Job, cfg.batch(), nil, nil, &t, savePage(ctx, db, cfg.Job, &t))
	return t.done(), err
}

// KeysetBulk reads the same keyset pages as Keyset and writes each page back
// with one bulk UPDATE, recording the page's last key in the same
// transaction, so that it can resume.
type KeysetBulk struct{}

// Name implements Strategy.
func (KeysetBulk) Name() string { return "keyset-bulk" }

// Description implements Strategy.
func (KeysetBulk) Description() string {
	return "WHERE key > last ORDER BY key LIMIT n page by page (seek method), write each page with one bulk UPDATE"
}

// Run implements Strategy.
func (s KeysetBulk) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	return s.Loop(ctx, db, cfg, Batches{})
}

// Loop implements Resumable.
func (s KeysetBulk) Loop(ctx context.Context, db *gorm.DB, cfg Config, b Batches) (Stats, error) {
	return keysetLoop(ctx, db, cfg, b.named(s.Name(), cfg))
}

// Remaining implements Resumable.
func (s KeysetBulk) Remaining(ctx context.Context, db *gorm.DB, cfg Config, b Batches) (int64, bool, error) {
	return remaining(ctx, db, cfg, cmp.Or(b.Name, s.Name()))
}

// keysetLoop is keyset-bulk: keyset pages in key order, each computed and
// written with one bulk statement that records the page's last key in the
// same transaction, so that a run with Config.Resume continues after it.
// b must come from Batches.named.
func keysetLoop(ctx context.Context, db *gorm.DB, cfg Config, b Batches) (Stats, error) {
	t := tracker{cfg: cfg, batches: &BatchStats{}}
	bulk, err := NewBulk(ctx, db, cfg.Job, cfg.BulkForm)
	if err != nil {
		return t.done(), err
	}
	after, err := loadProgress(ctx, db, cfg, b.Name)
	if err != nil {
		return t.done(), err
	}
	err = onLayer(ctx, db, cfg, 1, func(ios []pageIO) error {
		return keysetRange(ctx, ios[0], cfg, b, &t, bulk, progressName(cfg.Job, b.Name), after, nil)
	})
	return t.done(), err
}

// keysetRange writes the rows with after < key <= upTo (no bound where
// nil) in keyset pages sized by b.Sizer, each with one bulk statement that
// records the page's last key under progress in the same transaction.
func keysetRange(ctx context.Context, io pageIO, cfg Config, b Batches, t *tracker, bulk *Bulk, progress string, after, upTo []any) error {
	countBytes := countsBytes(b)
	var batch Batch
	return batchLoop(ctx, b, t, func(work context.Context, size int) (batchResult, error) {
		page, err := io.read(work, after, upTo, size)
		if err != nil {
			return batchResult{}, err
		}
		t.reads(1)
		n := page.Len()
		if n == 0 {
			return batchResult{end: true}, nil
		}
		last, bytes, err := writePage(work, io, bulk, &batch, page, progress, countBytes)
		if err != nil {
			return batchResult{}, err
		}
		t.writes(1)
		after = last
		return batchResult{rows: n, bytes: bytes, last: last, end: n < size}, nil
	})
}

// countsBytes says whether a loop with b counts the bytes it reads: only
// where something uses them (an adaptive sizer, OnBatch), so that the
// harness's keyset-bulk does not pay for it.
func countsBytes(b Batches) bool {
	_, fixed := b.Sizer.(Fixed)
	return !fixed || b.OnBatch != nil
}

// inRange is j's query narrowed to the rows with after < key <= upTo (no
// bound where nil).
func inRange(ctx context.Context, db *gorm.DB, j *job.Job, after, upTo []any) (*gorm.DB, error) {
	q := j.Query(ctx, db)
	cond, args, err := keyBetween(database.KindOf(db), j, after, upTo)
	if err != nil || cond == "" {
		return q, err
	}
	return q.Where(cond, args...), nil
}

// keyBetween is the condition, with its arguments, that j's key is in
// after < key <= upTo (no bound where nil) on a kind of database; "" when
// neither bound is given.
func keyBetween(kind database.Kind, j *job.Job, after, upTo []any) (cond string, args []any, err error) {
	var conds []string
	for _, b := range []struct {
		op  string
		key []any
	}{{">", after}, {"<=", upTo}} {
		if b.key == nil {
			continue
		}
		c, bound, err := database.KeyBound(kind, database.QuoteAll(kind, j.Key), b.op)
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, "("+c+")")
		args = append(args, bound(b.key)...)
	}
	return strings.Join(conds, " AND "), args, nil
}

// readPage reads the first size rows with after < key <= upTo (no bound
// where nil), in key order.
func readPage(ctx context.Context, db *gorm.DB, j *job.Job, after, upTo []any, size int) (job.Page, error) {
	q, err := inRange(ctx, db, j, after, upTo)
	if err != nil {
		return nil, err
	}
	page, err := j.Rows.Find(q.Order(j.KeyOrder(db)).Limit(size))
	if err != nil {
		return nil, fmt.Errorf("read page after key %v: %w", after, err)
	}
	return page, nil
}

// writePage computes every row of page (not empty) into batch and writes
// them with one bulk statement that records the page's last key under
// progress in the same transaction; it returns that key and, if
// countBytes, the bytes read.
func writePage(ctx context.Context, io pageIO, bulk *Bulk, batch *Batch, page job.Page, progress string, countBytes bool) (last []any, bytes int64, err error) {
	n := page.Len()
	batch.Reset()
	for i := range n {
		if err := page.Compute(i); err != nil {
			return nil, 0, fmt.Errorf("row %v: %w", page.Key(i), err)
		}
		batch.Add(bulk, page, i)
		if countBytes {
			bytes += page.Bytes(i)
		}
	}
	last = page.Key(n - 1)
	if err := io.write(ctx, bulk, batch, progress, last); err != nil {
		return nil, 0, err
	}
	return last, bytes, nil
}

// keysetPages reads the rows with after < key <= upTo (no bound where nil)
// in pages of size, in key order, and calls fn for each page.
func keysetPages(ctx context.Context, db *gorm.DB, j *job.Job, size int, after, upTo []any, t *tracker, fn func(job.Page) error) error {
	for {
		page, err := readPage(ctx, db, j, after, upTo, size)
		if err != nil {
			return err
		}
		t.reads(1)
		n := page.Len()
		if n == 0 {
			return nil
		}
		last := page.Key(n - 1)
		if err := fn(page); err != nil {
			return err
		}
		if n < size {
			return nil
		}
		after = last
	}
}

// keyBound is database.KeyBound for j's key on db's database.
func keyBound(db *gorm.DB, j *job.Job, op string) (string, func([]any) []any, error) {
	kind := database.KindOf(db)
	return database.KeyBound(kind, database.QuoteAll(kind, j.Key), op)
}

// remaining counts the rows of cfg.Job after the key recorded under
// name, or all of them; resumed says whether a key was recorded.
func remaining(ctx context.Context, db *gorm.DB, cfg Config, name string) (rows int64, resumed bool, err error) {
	cfg.Resume = true
	after, err := loadProgress(ctx, db, cfg, name)
	if err != nil {
		return 0, false, err
	}
	rows, err = countRange(ctx, db, cfg.Job, after, nil)
	return rows, after != nil, err
}

// countRange counts the rows of j with after < key <= upTo (no bound
// where nil).
func countRange(ctx context.Context, db *gorm.DB, j *job.Job, after, upTo []any) (int64, error) {
	q, err := inRange(ctx, db, j, after, upTo)
	if err != nil {
		return 0, err
	}
	var rows int64
	if err := q.Select("COUNT(*)").Scan(&rows).Error; err != nil {
		return 0, fmt.Errorf("count the rows of %s: %w", j.Table, err)
	}
	return rows, nil
}
