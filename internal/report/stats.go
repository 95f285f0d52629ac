package report

import (
	"fmt"
	"math"

	"golang.org/x/perf/benchmath"

	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/units"
)

// durations returns the durations of a strategy's uninterrupted ok runs.
func durations(s *summary.Summary, name string) []float64 {
	var xs []float64
	for _, r := range s.Runs {
		if r.Strategy == name && r.Status == summary.StatusOK && r.Resume == nil {
			xs = append(xs, r.DurationSeconds)
		}
	}
	return xs
}

// compareTimes tests, with the Mann-Whitney U test benchstat uses
// (golang.org/x/perf/benchmath), whether two strategies' times differ.
func compareTimes(s *summary.Summary, a, b string) benchmath.Comparison {
	sa := benchmath.NewSample(durations(s, a), &benchmath.DefaultThresholds)
	sb := benchmath.NewSample(durations(s, b), &benchmath.DefaultThresholds)
	return benchmath.AssumeNothing.Compare(sa, sb)
}

// significant reports whether a comparison found a difference.
func significant(c benchmath.Comparison) bool { return c.P < c.Alpha }

// pn is a comparison's p-value and sample sizes: "p = 0.002, n = 6+6".
func pn(c benchmath.Comparison) string {
	return fmt.Sprintf("p = %.3f, n = %d+%d", c.P, c.N1, c.N2)
}

// noDifference says that a comparison found no difference, and why when
// the samples were too small to find one.
func noDifference(c benchmath.Comparison) string {
	if len(c.Warnings) > 0 {
		return fmt.Sprintf("too few runs to tell (%s; %v)", pn(c), c.Warnings[0])
	}
	return fmt.Sprintf("no significant difference (%s)", pn(c))
}

// fasterClaim says how much faster fast was than slow, where the U test
// finds a difference, and that it found none otherwise.
func fasterClaim(s *summary.Summary, fast, slow summary.Strategy, nodiff func(benchmath.Comparison) string) string {
	c := compareTimes(s, fast.Name, slow.Name)
	if !significant(c) {
		return fmt.Sprintf("against **%s** (%s): %s", slow.Name, units.Seconds(slow.DurationSeconds.Median), nodiff(c))
	}
	return fmt.Sprintf("%s faster than **%s** (%s; %s)", times(slow.DurationSeconds.Median/fast.DurationSeconds.Median), slow.Name,
		units.Seconds(slow.DurationSeconds.Median), pn(c))
}

// timeInterval is the 95 % confidence interval of a strategy's median time
// ("±4 %"), or "" when there are too few runs for one (fewer than 6).
func timeInterval(s *summary.Summary, name string) string {
	xs := durations(s, name)
	sum := benchmath.AssumeNothing.Summary(benchmath.NewSample(xs, &benchmath.DefaultThresholds), 0.95)
	if math.IsInf(sum.Lo, 0) || math.IsInf(sum.Hi, 0) || len(xs) == 0 {
		return ""
	}
	return "±" + sum.PctRangeString()
}
