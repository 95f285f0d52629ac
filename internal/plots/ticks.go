package plots

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// steps are the tick spacings people read: 1, 2 and 5 times a power of ten.
func niceStep(span float64, want int) float64 {
	if span <= 0 || want <= 0 {
		return 1
	}
	raw := span / float64(want)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// linearTicks marks round values (1, 2 or 5 × 10^k apart, at least
// minStep) with labels, and their halves without.
type linearTicks struct {
	// minStep is the smallest labelled spacing: 1 for whole MiB.
	minStep float64
}

// Ticks implements plot.Ticker.
func (lt linearTicks) Ticks(lo, hi float64) []plot.Tick {
	step := max(niceStep(hi-lo, 8), lt.minStep)
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(round(v, step), 'f', -1, 64)})
		if half := v + step/2; half < hi {
			ticks = append(ticks, plot.Tick{Value: half})
		}
	}
	return ticks
}

// round removes floating-point noise from v, a multiple of step.
func round(v, step float64) float64 {
	digits := max(0, -math.Floor(math.Log10(step)))
	f := math.Pow(10, digits)
	return math.Round(v*f) / f
}

// rowTicks labels every measured row count (10k, 50k, 200k, 1M).
type rowTicks []float64

// Ticks implements plot.Ticker.
func (rt rowTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for _, v := range rt {
		if v >= lo && v <= hi {
			ticks = append(ticks, plot.Tick{Value: v, Label: rowsLabel(v)})
		}
	}
	return ticks
}

// rowsLabel writes a row count as people say it: 10k, 50k, 1M, 1.5M.
func rowsLabel(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// logTicks labels 1, 2 and 5 times each power of ten on a log axis, as
// plain numbers.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for p := math.Pow(10, math.Floor(math.Log10(lo))); p <= hi; p *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if v := m * p; v >= lo && v <= hi {
				ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(round(v, p), 'f', -1, 64)})
			}
		}
	}
	if len(ticks) < 4 { // a narrow range: round values evenly spaced
		ticks = ticks[:0]
		for _, tk := range (linearTicks{}).Ticks(lo, hi) {
			if tk.Value > 0 {
				ticks = append(ticks, tk)
			}
		}
	}
	return ticks
}
