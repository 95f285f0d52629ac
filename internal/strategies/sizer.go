package strategies

import (
	"math"
	"time"
)

// Sizer chooses each batch's size, in rows, from how the batches before it
// went.
type Sizer interface {
	// Next returns the next batch's size.
	Next() int
	// Done records a batch that was written: its rows, the bytes read for
	// them, and how long its own read, computation and write took (never a
	// pause or a wait for the pool).
	Done(rows int, bytes int64, took time.Duration)
	// Failed records a batch that failed with a lock or statement timeout;
	// it reports whether the same range should be tried again, smaller.
	Failed() bool
}

// Fixed is a batch size that never changes; a timeout is not retried.
type Fixed int

// Next implements Sizer.
func (f Fixed) Next() int { return max(1, int(f)) }

// Done implements Sizer.
func (Fixed) Done(int, int64, time.Duration) {}

// Failed implements Sizer.
func (Fixed) Failed() bool { return false }

// Defaults of Adaptive.
const (
	DefaultBatchTarget = 500 * time.Millisecond
	DefaultMinRows     = 10
	DefaultMaxRows     = 100_000
	DefaultMaxBytes    = 16 << 20
	DefaultStartRows   = 1000
)

// Adaptive sizes batches to take Target each, as pt-online-schema-change's
// --chunk-time does: decaying averages of rows and seconds,
// avg_n = 0.75·avg_n + n and avg_t = 0.75·avg_t + t, give the next size
// avg_n / avg_t × Target. With Spirit's guards: the size grows at most
// ×1.5 a batch, and a batch that took over 5 × Target cuts it to a tenth at
// once. It stays within MinRows..MaxRows, and no batch reads more than
// MaxBytes (from the average bytes per row seen), so that memory is bounded
// whatever the rows' size. A lock or statement timeout halves it and the
// same range is tried again, down to MinRows.
type Adaptive struct {
	// Target is the time a batch should take (DefaultBatchTarget).
	Target time.Duration
	// MinRows and MaxRows bound the size (DefaultMinRows,
	// DefaultMaxRows).
	MinRows, MaxRows int
	// MaxBytes bounds the bytes a batch reads (DefaultMaxBytes).
	MaxBytes int64
	// StartRows is the first batch's size (DefaultStartRows).
	StartRows int
}

// NewSizer returns a Sizer that follows a.
func (a Adaptive) NewSizer() *AdaptiveSizer {
	if a.Target <= 0 {
		a.Target = DefaultBatchTarget
	}
	if a.MinRows <= 0 {
		a.MinRows = DefaultMinRows
	}
	if a.MaxRows <= 0 {
		a.MaxRows = DefaultMaxRows
	}
	if a.MaxRows < a.MinRows {
		a.MaxRows = a.MinRows
	}
	if a.MaxBytes <= 0 {
		a.MaxBytes = DefaultMaxBytes
	}
	if a.StartRows <= 0 {
		a.StartRows = DefaultStartRows
	}
	return &AdaptiveSizer{cfg: a, size: clamp(a.StartRows, a.MinRows, a.MaxRows)}
}

// AdaptiveSizer is the Sizer of an Adaptive.
type AdaptiveSizer struct {
	cfg        Adaptive
	size       int
	avgN, avgT float64 // decaying sums of rows and seconds
	rowBytes   float64 // average bytes per row read
}

// Next implements Sizer.
func (s *AdaptiveSizer) Next() int {
	n := s.size
	if s.rowBytes > 0 {
		n = min(n, max(1, int(float64(s.cfg.MaxBytes)/s.rowBytes)))
	}
	return clamp(n, s.cfg.MinRows, s.cfg.MaxRows)
}

// Done implements Sizer.
func (s *AdaptiveSizer) Done(rows int, bytes int64, took time.Duration) {
	if rows <= 0 {
		return
	}
	if bytes > 0 {
		b := float64(bytes) / float64(rows)
		if s.rowBytes == 0 {
			s.rowBytes = b
		} else {
			s.rowBytes = 0.75*s.rowBytes + 0.25*b
		}
	}
	t := max(took.Seconds(), 1e-6)
	target := s.cfg.Target.Seconds()
	if t > 5*target {
		// Far over: cut at once, do not wait for the average to notice.
		s.size = clamp(s.size/10, s.cfg.MinRows, s.cfg.MaxRows)
		s.avgN, s.avgT = 0, 0
		return
	}
	s.avgN = 0.75*s.avgN + float64(rows)
	s.avgT = 0.75*s.avgT + t
	next := s.avgN / s.avgT * target
	next = math.Min(next, 1.5*float64(s.size))
	s.size = clamp(int(next), s.cfg.MinRows, s.cfg.MaxRows)
}

// Failed implements Sizer.
func (s *AdaptiveSizer) Failed() bool {
	if s.size <= s.cfg.MinRows {
		return false
	}
	s.size = max(s.cfg.MinRows, s.size/2)
	s.avgN, s.avgT = 0, 0
	return true
}

func clamp(n, lo, hi int) int { return max(lo, min(n, hi)) }
