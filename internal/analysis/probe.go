package analysis

import (
	"fmt"
	"math"

	"github.com/iterbench/iterbench/internal/summary"
)

// AppAlpha is the significance level of the probe rule, the same as the
// time comparisons' (benchmath's default).
const AppAlpha = 0.05

// AppHarm is the evidence that a strategy pushed the application's latency
// above its limit: the probe's 250 ms windows during the strategy's runs
// whose p99 was above the limit, against the idle probe's, and how sure a
// one-sided Fisher exact test is that the strategy's share is the larger.
type AppHarm struct {
	// Above of Windows of the strategy's windows had a p99 above the limit.
	Above, Windows int
	// IdleAbove of IdleWindows of the idle probe's windows did.
	IdleAbove, IdleWindows int
	// P is the test's p-value: the chance of a share at least this much
	// larger than idle's if the strategy made no difference.
	P float64
}

// Significant reports whether the test says the strategy pushed the
// application above the limit more often than idle: p < AppAlpha.
func (h AppHarm) Significant() bool { return h.P < AppAlpha }

// String says it in words: "in 38 of 40 windows against 0 of 20 idle
// (Fisher's exact test, p < 0.001)".
func (h AppHarm) String() string {
	if h.Windows == 0 {
		return "no probe windows recorded to test it against idle"
	}
	p := fmt.Sprintf("p = %.3f", h.P)
	if h.P < 0.001 {
		p = "p < 0.001"
	}
	return fmt.Sprintf("in %d of %d windows of 250 ms against %d of %d idle (Fisher's exact test, %s)",
		h.Above, h.Windows, h.IdleAbove, h.IdleWindows, p)
}

// AppHarmOf counts the probe windows of strategy name's runs (those in
// runs, by repeat) and of the idle probe whose p99 was above limitMs, and
// tests whether the strategy's share is larger than idle's. Windows without
// operations are left out.
func AppHarmOf(s *summary.Summary, name string, repeats map[int]bool, limitMs float64) AppHarm {
	var h AppHarm
	for _, w := range s.ProbeWindows {
		if w.Ops == 0 {
			continue
		}
		above := w.P99Ms > limitMs
		switch {
		case w.Strategy == summary.IdleStrategy:
			h.IdleWindows++
			if above {
				h.IdleAbove++
			}
		case w.Strategy == name && repeats[w.Repeat]:
			h.Windows++
			if above {
				h.Above++
			}
		}
	}
	h.P = fisherGreater(h.Above, h.Windows-h.Above, h.IdleAbove, h.IdleWindows-h.IdleAbove)
	return h
}

// fisherGreater is the one-sided p-value of Fisher's exact test on the 2×2
// table [[a, b], [c, d]] (rows: strategy, idle; columns: above, not): the
// probability, with the margins fixed, of a table whose top-left cell is at
// least a.
func fisherGreater(a, b, c, d int) float64 {
	row1, col1, n := a+b, a+c, a+b+c+d
	if n == 0 || row1 == 0 {
		return 1
	}
	p := 0.0
	for x := a; x <= min(row1, col1); x++ {
		p += math.Exp(logChoose(col1, x) + logChoose(n-col1, row1-x) - logChoose(n, row1))
	}
	return math.Min(p, 1)
}

// logChoose is log(n choose k).
func logChoose(n, k int) float64 {
	if k < 0 || k > n {
		return math.Inf(-1)
	}
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}
