package analysis

import (
	"math"

	"golang.org/x/perf/benchmath"

	"github.com/iterbench/iterbench/internal/summary"
)

// Projected is one strategy's memory and time projected to a larger table
// from its runs at two sizes (summary.Projection): the recorded runs at
// Config.Rows and the smaller table's.
type Projected struct {
	Name string
	// SmallRows and Rows are the sizes measured, smaller first; TargetRows
	// the projection's.
	SmallRows, Rows, TargetRows int
	// SmallPeak and Peak are the peaks at the two sizes (bytes: the figure a
	// memory limit is compared with, the sampled RSS or, in a container,
	// the working set if larger); SmallSeconds and Seconds the times.
	SmallPeak, Peak, SmallSeconds, Seconds summary.Stat
	// Unbounded says the peak at Rows is above the allowance of a bounded
	// strategy (see Bounded); Grows that it is, that the Mann-Whitney U test
	// found it larger than at SmallRows (p = GrowthP < AppAlpha), and by at
	// least HoldShare of a document per row.
	Unbounded, Grows bool
	GrowthP          float64
	// BytesPerRow is the median growth of the peak per row, and
	// BytesPerRowHigh the largest the repeats' spread allows.
	BytesPerRow, BytesPerRowHigh float64
	// Peak at TargetRows: low, middle, high. When the peak does not grow,
	// they are the peaks measured at Rows.
	PeakLow, PeakMid, PeakHigh float64
	// Exponent is k in time ∝ rows^k between the two sizes (at least 1: a
	// pass over every row takes no less per row on a larger table); the
	// time at TargetRows: low, middle, high.
	Exponent                            float64
	SecondsLow, SecondsMid, SecondsHigh float64
	// Failed is set when the strategy had no ok run at one of the sizes:
	// nothing is projected.
	Failed bool
}

// Fate is what a projected peak means under a memory limit.
type Fate int

// Fates, from the projected range against the limit.
const (
	// Fits: even the high estimate leaves Margin of the limit free.
	Fits Fate = iota
	// Uncertain: the range straddles the line.
	Uncertain
	// Killed: even the low estimate is above the limit.
	Killed
)

// Fate places p's projected peak against limit (bytes), keeping margin of
// it free for Fits.
func (p Projected) Fate(limit, margin float64) Fate {
	switch {
	case p.PeakLow > limit:
		return Killed
	case p.PeakHigh <= (1-margin)*limit:
		return Fits
	}
	return Uncertain
}

// limitFigure is what a run's memory limit is compared with: its peak,
// by sampling, by the kernel's high-water mark (which a short run's
// samples can miss) and, in a container, by the working set.
func limitFigure(r summary.Run) float64 {
	return float64(max(r.PeakRSSBytes, r.KernelMaxRSSBytes, r.CgroupWorkingSetPeakBytes))
}

func okFigures(runs []summary.Run, name string) (peaks, secs []float64) {
	for _, r := range runs {
		if r.Strategy == name && r.Status == summary.StatusOK && r.Resume == nil {
			peaks = append(peaks, limitFigure(r))
			secs = append(secs, r.DurationSeconds)
		}
	}
	return peaks, secs
}

// allowance is BoundedAllowance over runs measured against baseline.
func allowance(runs []summary.Run, names []string, baseline uint64) float64 {
	low := math.Inf(1)
	for _, name := range names {
		if peaks, _ := okFigures(runs, name); len(peaks) > 0 {
			low = min(low, summary.NewStat(peaks).Median-float64(baseline))
		}
	}
	return BoundedFactor * max(low, BoundedFloor)
}

// HoldShare is the least growth per row, as a share of a row's document,
// that counts as holding the table: two sizes cannot tell less (an id or a
// score kept per row) from a worker warming up, as a strategy with four
// workers' batches does between 5,000 and 50,000 rows (164 bytes a row
// there, against load-all's 2,159 for 1,024-byte documents).
const HoldShare = 0.25

// VisibleRows is the smallest table on which holding every row's document
// (rows × payload bytes) would take more than twice the allowance of a
// bounded strategy at its floor: where a strategy that holds the table can
// no longer pass for bounded.
func VisibleRows(payload int) int {
	return int(math.Ceil(2 * BoundedFactor * BoundedFloor / float64(max(payload, 1))))
}

// Project projects every strategy of s to s.Projection.TargetRows; nil
// without a projection. Of the two sizes measured (Config.Rows and
// Projection.Rows), the larger shows whether a strategy grows with the
// table: it does when its peak there is above the allowance of a bounded
// strategy, the U test finds it larger than at the smaller size, and it
// grew by at least HoldShare of a document per row. Growth short of that
// is the worker warming up (a heap that has not yet reached its steady
// size), not the table.
func Project(s *summary.Summary) []Projected {
	pj := s.Projection
	if pj == nil || pj.Rows <= 0 || pj.Rows == s.Config.Rows || pj.TargetRows <= max(pj.Rows, s.Config.Rows) {
		return nil
	}
	smallRuns, bigRuns := pj.Runs, s.Runs
	smallRows, bigRows := pj.Rows, s.Config.Rows
	bigBase := s.BaselinePeakRSSBytes
	if pj.Rows > s.Config.Rows {
		smallRuns, bigRuns = bigRuns, smallRuns
		smallRows, bigRows = bigRows, smallRows
		bigBase = pj.BaselinePeakRSSBytes
	}
	var names []string
	for _, st := range s.Strategies {
		names = append(names, st.Name)
	}
	allowed := allowance(bigRuns, names, bigBase)
	var out []Projected
	for _, name := range names {
		p := Projected{Name: name, SmallRows: smallRows, Rows: bigRows, TargetRows: pj.TargetRows}
		smallPeaks, smallSecs := okFigures(smallRuns, name)
		peaks, secs := okFigures(bigRuns, name)
		if len(smallPeaks) == 0 || len(peaks) == 0 {
			p.Failed = true
			out = append(out, p)
			continue
		}
		p.SmallPeak, p.Peak = summary.NewStat(smallPeaks), summary.NewStat(peaks)
		p.SmallSeconds, p.Seconds = summary.NewStat(smallSecs), summary.NewStat(secs)
		c := benchmath.AssumeNothing.Compare(benchmath.NewSample(peaks, &benchmath.DefaultThresholds),
			benchmath.NewSample(smallPeaks, &benchmath.DefaultThresholds))
		p.GrowthP = c.P
		p.Unbounded = p.Peak.Median-float64(bigBase) > allowed
		dRows := float64(p.Rows - p.SmallRows)
		ahead := float64(p.TargetRows - p.Rows)
		p.BytesPerRow = max(0, (p.Peak.Median-p.SmallPeak.Median)/dRows)
		p.Grows = p.Unbounded && c.P < AppAlpha && p.BytesPerRow >= HoldShare*float64(s.Config.PayloadBytes)
		p.BytesPerRowHigh = max(0, (p.Peak.Max-p.SmallPeak.Min)/dRows)
		if p.Grows {
			low := max(0, (p.Peak.Min-p.SmallPeak.Max)/dRows)
			p.PeakLow = p.Peak.Min + low*ahead
			p.PeakMid = p.Peak.Median + p.BytesPerRow*ahead
			p.PeakHigh = p.Peak.Max + p.BytesPerRowHigh*ahead
		} else {
			p.PeakLow, p.PeakMid, p.PeakHigh = p.Peak.Min, p.Peak.Median, p.Peak.Max
		}
		ratio := math.Log(float64(p.Rows) / float64(p.SmallRows))
		exp := func(big, small float64) float64 {
			if big <= 0 || small <= 0 {
				return 1
			}
			return max(1, math.Log(big/small)/ratio)
		}
		p.Exponent = exp(p.Seconds.Median, p.SmallSeconds.Median)
		scale := float64(p.TargetRows) / float64(p.Rows)
		p.SecondsLow = p.Seconds.Min * math.Pow(scale, exp(p.Seconds.Min, p.SmallSeconds.Max))
		p.SecondsMid = p.Seconds.Median * math.Pow(scale, p.Exponent)
		p.SecondsHigh = p.Seconds.Max * math.Pow(scale, exp(p.Seconds.Max, p.SmallSeconds.Min))
		out = append(out, p)
	}
	return out
}

// GrowthVisible reports whether a table of s's size can show that a
// strategy holds every row: the table's documents (rows × payload) are more
// than the allowance of a bounded strategy. Below it, a strategy that loads
// the whole table may still look bounded and flat.
func GrowthVisible(s *summary.Summary) bool {
	return float64(s.Config.Rows)*float64(s.Config.PayloadBytes) > BoundedAllowance(s)
}
