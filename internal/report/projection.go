package report

import (
	"fmt"
	"strings"

	"github.com/iterbench/iterbench/internal/analysis"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/units"
)

// projectionSection renders "Projection to N rows": each strategy's peak
// and time at the target size, from its runs at two sizes, and its fate
// under the memory limit; "" without a projection.
func projectionSection(s *summary.Summary) string {
	ps := analysis.Project(s)
	if len(ps) == 0 {
		return ""
	}
	p0 := ps[0]
	limit := float64(s.Config.LimitBytes())
	var b strings.Builder
	fmt.Fprintf(&b, "## Projection to %s rows\n\n", units.Thousands(int64(p0.TargetRows)))
	fmt.Fprintf(&b, "Every strategy was measured at two sizes, %s and %s rows (the one not asked for by --rows with no probe). "+
		"Memory grows with the table when the peak at %s rows is above what a bounded strategy may take and the Mann-Whitney U test "+
		"finds it larger than at %s; it is then projected on the line through the two sizes (low and high from the repeats' spread). "+
		"Otherwise the peak measured is what is expected at any size (a rise within a bounded strategy's allowance is the worker warming up). "+
		"Time: time ∝ rows^k, k from the two sizes (at least 1). A projection %.0f× beyond the larger size is a rough guide, not a measurement.\n\n",
		units.Thousands(int64(p0.SmallRows)), units.Thousands(int64(p0.Rows)), units.Thousands(int64(p0.Rows)),
		units.Thousands(int64(p0.SmallRows)), float64(p0.TargetRows)/float64(p0.Rows))
	b.WriteString("| strategy | peak at " + units.Thousands(int64(p0.SmallRows)) + " → " + units.Thousands(int64(p0.Rows)) +
		" rows | grows? | projected peak (low – high) | time k | projected time (low – high) |")
	if limit > 0 {
		b.WriteString(" under the " + units.MiB(limit) + " limit |")
	}
	b.WriteString("\n|---|---:|---|---:|---:|---:|")
	if limit > 0 {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, p := range ps {
		if p.Failed {
			fmt.Fprintf(&b, "| %s | no ok run at both sizes | | | | |", p.Name)
			if limit > 0 {
				b.WriteString(" |")
			}
			b.WriteString("\n")
			continue
		}
		grows := fmt.Sprintf("no (p = %.3f)", p.GrowthP)
		if p.Unbounded && p.GrowthP < analysis.AppAlpha {
			grows = fmt.Sprintf("no: %s B/row, under %.0f %% of a document (p = %.3f)",
				units.Thousands(int64(p.BytesPerRow)), 100*analysis.HoldShare, p.GrowthP)
		}
		if !p.Unbounded {
			grows = "no (bounded)"
		}
		if p.Grows {
			grows = fmt.Sprintf("**yes**, %s B/row (p = %.3f)", units.Thousands(int64(p.BytesPerRow)), p.GrowthP)
		}
		fmt.Fprintf(&b, "| %s | %s → %s | %s | %s (%s – %s) | %.2f | %s (%s – %s) |", p.Name,
			units.MiB(p.SmallPeak.Median), units.MiB(p.Peak.Median), grows,
			units.Size(p.PeakMid), units.Size(p.PeakLow), units.Size(p.PeakHigh), p.Exponent,
			units.Duration(p.SecondsMid), units.Duration(p.SecondsLow), units.Duration(p.SecondsHigh))
		if limit > 0 {
			fmt.Fprintf(&b, " %s |", fateWords(p.Fate(limit, Margin)))
		}
		b.WriteString("\n")
	}
	return b.String() + "\n"
}

// fateWords names a fate in the table.
func fateWords(f analysis.Fate) string {
	switch f {
	case analysis.Killed:
		return "**killed**"
	case analysis.Fits:
		return "fits"
	}
	return "uncertain"
}

// projectedKilled returns, for each strategy projected to be killed at the
// target size under the limit, why.
func projectedKilled(s *summary.Summary) map[string]string {
	limit := float64(s.Config.LimitBytes())
	out := map[string]string{}
	if limit == 0 {
		return out
	}
	for _, p := range analysis.Project(s) {
		if !p.Failed && p.Fate(limit, Margin) == analysis.Killed {
			out[p.Name] = fmt.Sprintf("projected to need about %s at %s rows (at least %s), above the %s limit: it would be killed",
				units.Size(p.PeakMid), units.Thousands(int64(p.TargetRows)), units.Size(p.PeakLow), units.MiB(limit))
		}
	}
	return out
}
