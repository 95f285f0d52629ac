// Package analysis holds the rules iterbench draws from its measurements,
// in one place for the charts, the report and the recommendation: which
// strategies are bounded, which kept their memory flat, which run stands for
// a strategy.
package analysis

import (
	"fmt"
	"math"

	"github.com/iterbench/iterbench/internal/summary"
)

// BoundedFactor and BoundedFloor select the bounded strategies (those of the
// zoomed RSS chart, and those the recommendation considers): a strategy's
// median peak above the baseline worker's may be at most BoundedFactor times
// the smallest such excess, or BoundedFloor if that is larger. Memory above
// the baseline, not the whole RSS: with a lean worker (a baseline of 13 MiB)
// a batch of 1000 rows doubles the RSS while the strategy is as bounded as
// one that holds a single row.
const (
	BoundedFactor = 1.5
	BoundedFloor  = 16 << 20
)

// Bounded returns the strategies whose median peak RSS is within
// BoundedFactor of the smallest, in summary order.
func Bounded(s *summary.Summary) []string {
	allowed := BoundedAllowance(s)
	var out []string
	for _, st := range s.Strategies {
		if st.OK > 0 && Excess(s, st) <= allowed {
			out = append(out, st.Name)
		}
	}
	return out
}

// Excess is a strategy's median peak RSS above the baseline worker's.
func Excess(s *summary.Summary, st summary.Strategy) float64 {
	return st.PeakRSSBytes.Median - float64(s.BaselinePeakRSSBytes)
}

// BoundedAllowance is the largest excess over the baseline a bounded
// strategy may have: BoundedFactor × max(the smallest excess, BoundedFloor).
func BoundedAllowance(s *summary.Summary) float64 {
	low := math.Inf(1)
	for _, st := range s.Strategies {
		if st.OK > 0 {
			low = min(low, Excess(s, st))
		}
	}
	return BoundedFactor * max(low, BoundedFloor)
}

// Representative returns the run drawn for a strategy over time: its
// median ok run, or else its first killed or timed-out run.
func Representative(s *summary.Summary, name string) (summary.Run, bool) {
	if r, ok := s.MedianRun(name); ok {
		return r, true
	}
	for _, r := range s.Runs {
		if r.Strategy == name && (r.Stopped() || r.Status == summary.StatusTimeout) {
			return r, true
		}
	}
	return summary.Run{}, false
}

// LowestPeak is the smallest median peak RSS of the strategies with an ok
// run.
func LowestPeak(s *summary.Summary) float64 {
	low := math.Inf(1)
	for _, st := range s.Strategies {
		if st.OK > 0 {
			low = min(low, st.PeakRSSBytes.Median)
		}
	}
	return low
}

// Flatness thresholds: a strategy is flat when, in its median run, the
// samples taken after the first FlatStart of the strategy's duration keep
// their floor: the lowest sample of the window's second half is at most
// FlatTolerance of the run's peak, or FlatFloor bytes, above the lowest of
// its first half. A floor that rises is growth; the sawtooth of batches of
// different sizes and of the garbage collector, which returns to its floor
// however high its teeth, is not, and a few MiB of drift is not either.
const (
	FlatStart     = 0.2
	FlatTolerance = 0.10
	FlatFloor     = 8 << 20
)

// Flatness sorts strategies into those whose RSS stays flat after the
// start of the run and those still growing.
func Flatness(s *summary.Summary, samples []summary.SampleRow) (flat, growing []string) {
	for _, st := range s.Strategies {
		run, ok := s.MedianRun(st.Name)
		if !ok {
			continue
		}
		var xs []summary.SampleRow
		for _, x := range samples {
			if x.Strategy == st.Name && x.Repeat == run.Repeat {
				xs = append(xs, x)
			}
		}
		if len(xs) == 0 {
			continue
		}
		// Judge the strategy's own run, not the worker's start-up: the window
		// is the last (1-FlatStart) of the strategy's duration.
		end := xs[len(xs)-1].T
		from := end - (1-FlatStart)*run.DurationSeconds
		half := (from + end) / 2
		early, late := math.Inf(1), math.Inf(1)
		var peak uint64
		n := 0
		for _, x := range xs {
			peak = max(peak, x.RSS)
			switch {
			case x.T < from:
			case x.T < half:
				early = min(early, float64(x.RSS))
				n++
			default:
				late = min(late, float64(x.RSS))
				n++
			}
		}
		if n < 10 || math.IsInf(early, 1) || math.IsInf(late, 1) {
			continue // too short to judge
		}
		if late-early <= max(FlatTolerance*float64(peak), FlatFloor) {
			flat = append(flat, st.Name)
		} else {
			growing = append(growing, st.Name)
		}
	}
	return flat, growing
}

// Analysis is what the rules find in one run's results, computed once.
type Analysis struct {
	// Bounded lists the bounded strategies (see Bounded).
	Bounded []string
	// Flat and Growing sort the strategies by Flatness.
	Flat, Growing []string
}

// Of applies the rules to s and its samples.
func Of(s *summary.Summary, samples []summary.SampleRow) Analysis {
	a := Analysis{Bounded: Bounded(s)}
	a.Flat, a.Growing = Flatness(s, samples)
	return a
}

// AppP99Factor and AppP99Floor give the default --max-app-p99: this many
// times the idle probe's p99, and at least this many ms.
const (
	AppP99Factor = 10
	AppP99Floor  = 50.0
)

// AppP99Limit returns the probe p99 (ms) above which a strategy is ranked
// after the others, and where it comes from; 0 when no probe ran.
func AppP99Limit(s *summary.Summary) (float64, string) {
	switch {
	case s.Config.MaxAppP99Ms > 0:
		return s.Config.MaxAppP99Ms, "--max-app-p99"
	case s.IdleProbe == nil || s.IdleProbe.Ops == 0:
		return 0, ""
	}
	idle := s.IdleProbe.P99Ms
	if AppP99Factor*idle >= AppP99Floor {
		return AppP99Factor * idle, fmt.Sprintf("%d × the idle p99 of %.2f ms", AppP99Factor, idle)
	}
	return AppP99Floor, fmt.Sprintf("the %.0f ms floor; %d × the idle p99 of %.2f ms is less", AppP99Floor, AppP99Factor, idle)
}
