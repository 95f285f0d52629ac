package strategies

import (
	"cmp"
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/job"
)

// KeysetPipelined is keyset-bulk with the next page read while the
// current one is computed and written: the read runs on a connection of
// its own, so that its round trip and the server's work on it overlap the
// write's. It holds at most two pages, the one being written and the one
// read ahead, and records its progress as keyset-bulk does.
type KeysetPipelined struct{}

// Name implements Strategy.
func (KeysetPipelined) Name() string { return "keyset-pipelined" }

// Description implements Strategy.
func (KeysetPipelined) Description() string {
	return "keyset-bulk with the next keyset page read on a second connection while the current page's bulk UPDATE runs (two pages held at most)"
}

// PageMethod implements Pager.
func (KeysetPipelined) PageMethod() PageMethod { return KeysetPaging }

// Run implements Strategy.
func (s KeysetPipelined) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	return s.Loop(ctx, db, cfg, Batches{})
}

// Remaining implements Resumable.
func (s KeysetPipelined) Remaining(ctx context.Context, db *gorm.DB, cfg Config, b Batches) (int64, bool, error) {
	return remaining(ctx, db, cfg, cmp.Or(b.Name, s.Name()))
}

// page is a page read, ahead or not: its rows, the size asked for, and
// the read's error.
type page struct {
	rows job.Page
	size int
	err  error
}

// Loop implements Resumable. A batch that fails drops the page read
// ahead: the next batch reads again after the last one committed.
func (s KeysetPipelined) Loop(ctx context.Context, db *gorm.DB, cfg Config, b Batches) (Stats, error) {
	b = b.named(s.Name(), cfg)
	t := tracker{cfg: cfg, batches: &BatchStats{}}
	j := cfg.Job
	bulk, err := NewBulk(ctx, db, j, cfg.BulkForm)
	if err != nil {
		return t.done(), err
	}
	after, err := loadProgress(ctx, db, cfg, b.Name)
	if err != nil {
		return t.done(), err
	}
	err = onLayer(ctx, db, cfg, 2, func(ios []pageIO) error {
		return pipeline(ctx, ios[0], ios[1], b, &t, progressName(j, b.Name), bulk, after)
	})
	return t.done(), err
}

// pipeline is keyset-pipelined's loop: pages read on reader, written on
// writer.
func pipeline(ctx context.Context, reader, writer pageIO, b Batches, t *tracker, progress string, bulk *Bulk, after []any) error {
	read := func(work context.Context, after []any, size int) page {
		rows, err := reader.read(work, after, nil, size)
		if err != nil {
			return page{err: err}
		}
		t.reads(1)
		return page{rows: rows, size: size}
	}
	// ahead, when not nil, will deliver the page after the one being
	// written.
	var ahead chan page
	drop := func() {
		if ahead != nil {
			<-ahead
			ahead = nil
		}
	}
	defer drop()
	if th := b.Throttle; th != nil {
		// A pause drops the page read ahead: read after the pause, its rows
		// are as the application left them.
		b.Throttle = func(ctx context.Context) (time.Duration, string) {
			d, reason := th(ctx)
			if d > 0 {
				drop()
			}
			return d, reason
		}
	}
	countBytes := countsBytes(b)
	var batch Batch
	return batchLoop(ctx, b, t, func(work context.Context, size int) (batchResult, error) {
		var p page
		if ahead != nil {
			p, ahead = <-ahead, nil
			if p.err == nil && p.size > size {
				// The sizer cut the size since the page was read ahead.
				p = read(work, after, size)
			}
		} else {
			p = read(work, after, size)
		}
		if p.err != nil {
			return batchResult{}, p.err
		}
		n := p.rows.Len()
		if n == 0 {
			return batchResult{end: true}, nil
		}
		last := p.rows.Key(n - 1)
		if n == p.size {
			// The next page, read while this one is written.
			ch := make(chan page, 1)
			go func() { ch <- read(work, last, size) }()
			ahead = ch
		}
		_, bytes, err := writePage(work, writer, bulk, &batch, p.rows, progress, countBytes) // last, read above: the read ahead holds it
		if err != nil {
			drop() // the same range is read again, if it is tried again
			return batchResult{}, err
		}
		t.writes(1)
		after = last
		return batchResult{rows: n, bytes: bytes, last: last, end: n < p.size}, nil
	})
}
