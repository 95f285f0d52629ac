package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/iterbench/iterbench/internal/analysis"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/units"
)

// Margin is the share of the memory limit a recommended strategy must leave
// free: its largest peak must stay under (1-Margin) × the limit.
const Margin = 0.2

// Recommendation is the advice computed from a benchmark's numbers.
type Recommendation struct {
	// Database, Rows and LimitBytes (0: none given) are what it applies to;
	// Topology, where not one server, says on which servers (a sentence).
	Topology   string
	Database   string
	Rows       int
	LimitBytes uint64
	// Ranked lists the client-side strategies that qualified, fastest first.
	Ranked []string
	// Best is the fastest qualifying strategy, or "" if none qualified.
	Best string
	// Excluded says why each strategy that did not qualify was left out.
	Excluded map[string]string
	// Costs says why each qualifying strategy (or in-database one) that
	// fails a cost rule (see costReasons) is ranked after those that pass;
	// the in-database ones that fail are reported only if none passes.
	Costs map[string]string
	// Close, if set, says that the U test found no difference between Best
	// and the next.
	Close string
	// Sure, if set, says how much faster Best was than the next, with the
	// U test's p-value.
	Sure string
	// FasterButCostly lists the qualifying strategies faster than Best
	// that fail a cost rule (Costs says which), fastest first.
	FasterButCostly []string
	// SQL is a note on the in-database strategy, if it ran.
	SQL string
	// Warnings are risks drawn from the data.
	Warnings []string
	// NoProbe is set when no application probe ran beside the runs: the
	// application's latency was not a rule.
	NoProbe bool
}

// Recommend ranks the strategies of s: a strategy qualifies when all its
// runs finished correctly, its RSS did not keep rising during its run (see
// analysis.Flatness), it is bounded (analysis.Bounded: its peak above the
// baseline is within analysis.BoundedFactor of the smallest, or of
// analysis.BoundedFloor),
// and, given a limit, its largest peak leaves Margin of the limit free. sweep, if not
// empty, holds the same strategies at several row counts (s among them) and
// adds warnings about how time and memory grow.
func Recommend(s *summary.Summary, samples []summary.SampleRow, sweep []*summary.Summary) Recommendation {
	return recommend(s, analysis.Of(s, samples), sweep)
}

func recommend(s *summary.Summary, a analysis.Analysis, sweep []*summary.Summary) Recommendation {
	r := Recommendation{Database: s.Config.Database, Rows: s.Config.Rows, LimitBytes: s.Config.LimitBytes(),
		Excluded: map[string]string{}, Costs: map[string]string{}, NoProbe: s.Config.ProbeRate == 0, Topology: topologyWords(s)}
	bounded, growing := a.Bounded, a.Growing
	killedAtTarget := projectedKilled(s)
	// With --target-rows, the two sizes measured decide whether memory
	// grows with the table: they outweigh one small run's shape over time.
	steady := map[string]bool{}
	for _, p := range analysis.Project(s) {
		steady[p.Name] = !p.Failed && !p.Grows
	}
	var ok []summary.Strategy
	for _, st := range s.Strategies {
		switch {
		case st.OK < st.Runs:
			r.Excluded[st.Name] = failures(s, st.Name)
		case st.Roles.InDatabase: // reported beside the ranking
		case st.Roles.Layer != "": // a driver form: what GORM costs (layerTable)
		case killedAtTarget[st.Name] != "":
			r.Excluded[st.Name] = killedAtTarget[st.Name]
		case steady[st.Name] && (r.LimitBytes == 0 || limitPeak(s, st.Name) <= (1-Margin)*float64(r.LimitBytes)):
			ok = append(ok, st)
		case slices.Contains(growing, st.Name):
			r.Excluded[st.Name] = fmt.Sprintf("its RSS was still rising during the run (median peak %s, %s the lowest)",
				units.MiB(st.PeakRSSBytes.Median), times(st.PeakRSSBytes.Median/analysis.LowestPeak(s)))
			if len(sweep) < 2 {
				r.Excluded[st.Name] += "; see how it grows with `iterbench sweep`"
			}
		case !slices.Contains(bounded, st.Name):
			r.Excluded[st.Name] = fmt.Sprintf("median peak %s is %s above the baseline worker's, more than the %s a bounded strategy may take",
				units.MiB(st.PeakRSSBytes.Median), units.MiB(analysis.Excess(s, st)), units.MiB(analysis.BoundedAllowance(s)))
		case r.LimitBytes > 0 && limitPeak(s, st.Name) > (1-Margin)*float64(r.LimitBytes):
			r.Excluded[st.Name] = fmt.Sprintf("peak %s leaves less than %.0f %% of the %s limit free",
				units.MiB(limitPeak(s, st.Name)), 100*Margin, units.MiB(float64(r.LimitBytes)))
		default:
			ok = append(ok, st)
		}
	}
	slices.SortStableFunc(ok, func(a, b summary.Strategy) int {
		return cmp.Compare(a.DurationSeconds.Median, b.DurationSeconds.Median)
	})
	// Those that pass every cost rule first, each group fastest first.
	var pass, costly []summary.Strategy
	for _, st := range ok {
		if reasons := costReasons(s, st.Name); len(reasons) > 0 {
			r.Costs[st.Name] = strings.Join(reasons, "; ")
			costly = append(costly, st)
		} else {
			pass = append(pass, st)
		}
	}
	ok = append(pass, costly...)
	for _, st := range ok {
		r.Ranked = append(r.Ranked, st.Name)
	}
	if len(ok) > 0 {
		r.Best = ok[0].Name
	}
	if len(pass) > 0 {
		for _, st := range costly {
			if st.DurationSeconds.Median < pass[0].DurationSeconds.Median {
				r.FasterButCostly = append(r.FasterButCostly, st.Name)
			}
		}
	}
	if len(pass) > 1 || (len(pass) == 0 && len(ok) > 1) {
		if c := compareTimes(s, ok[0].Name, ok[1].Name); !significant(c) {
			r.Close = fmt.Sprintf("%s is not measurably faster than %s: %s; either will do", ok[0].Name, ok[1].Name, noDifference(c))
		} else {
			r.Sure = fmt.Sprintf("%s faster than the next, %s (Mann-Whitney U test, %s)",
				times(ok[1].DurationSeconds.Median/ok[0].DurationSeconds.Median), ok[1].Name, pn(c))
		}
	}
	var inDB []summary.Strategy
	for _, st := range s.Strategies {
		if !st.Roles.InDatabase || st.OK != st.Runs || st.OK == 0 {
			continue
		}
		if reasons := costReasons(s, st.Name); len(reasons) > 0 {
			r.Costs[st.Name] = strings.Join(reasons, "; ")
			continue
		}
		inDB = append(inDB, st)
	}
	for _, st := range s.Strategies {
		if st.Roles.InDatabase && st.OK == st.Runs && st.OK > 0 && r.Costs[st.Name] != "" {
			inDB = append(inDB, st) // only if none passes
		}
	}
	if len(inDB) > 0 {
		st := inDB[0]
		name := st.Name
		r.SQL = fmt.Sprintf("If the calculation can be written in SQL, **%s** did it in %s (%s rows/s)",
			name, units.Seconds(st.DurationSeconds.Median), units.Thousands(int64(math.Round(st.RowsPerSecond))))
		if len(ok) > 0 {
			if c := compareTimes(s, st.Name, ok[0].Name); significant(c) {
				r.SQL += fmt.Sprintf(", %s faster than %s (%s)", times(ok[0].DurationSeconds.Median/st.DurationSeconds.Median), ok[0].Name, pn(c))
			} else {
				r.SQL += fmt.Sprintf(", against %s: %s", ok[0].Name, noDifference(c))
			}
		}
		r.SQL += "; it moves no row to the client"
		if c := r.Costs[name]; c != "" {
			r.SQL += ". But no strategy in the database passed the cost rules, and for it: " + c
		}
		r.SQL += "."
	}
	r.Warnings = warnings(s, sweep)
	// "Bounded" compares strategies: it needs two that finished.
	allBounded, finished := len(growing) == 0, 0
	for _, st := range s.Strategies {
		allBounded = allBounded && (st.OK == 0 || slices.Contains(bounded, st.Name))
		if st.OK > 0 {
			finished++
		}
	}
	allBounded = allBounded && finished >= 2
	// A user's job records no document size to judge growth by.
	if s.Config.Job == nil && s.Projection == nil && len(sweep) < 2 && allBounded && !analysis.GrowthVisible(s) {
		r.Warnings = append(r.Warnings, fmt.Sprintf("at %s rows of %s bytes (%s of documents) a strategy that held the whole table "+
			"would still be within the %s a bounded strategy may take: growth cannot be seen at this size, so \"bounded\" "+
			"and \"flat\" say little here; measure more rows, or project to your table's size with --target-rows.",
			units.Thousands(int64(s.Config.Rows)), units.Thousands(int64(s.Config.PayloadBytes)),
			units.MiB(float64(s.Config.Rows)*float64(s.Config.PayloadBytes)), units.MiB(analysis.BoundedAllowance(s))))
	}
	return r
}

// limitPeak is the largest figure of a strategy's runs that its memory
// limit is compared with: the sampled RSS, and under the kernel's limit the
// container's working set too (its charge less the inactive page cache the
// kernel reclaims before it kills, as the kubelet counts).
func limitPeak(s *summary.Summary, name string) float64 {
	var peak uint64
	for _, r := range s.Runs {
		if r.Strategy == name {
			peak = max(peak, r.PeakRSSBytes, r.CgroupWorkingSetPeakBytes)
		}
	}
	return float64(peak)
}

// failures describes the runs of a strategy that did not finish correctly.
func failures(s *summary.Summary, name string) string {
	var parts []string
	n := 0
	for _, r := range s.Runs {
		if r.Strategy != name {
			continue
		}
		n++
		switch r.Status {
		case summary.StatusOK:
		case summary.StatusKilled:
			parts = append(parts, fmt.Sprintf("killed at %.1f s (peak %s, %s rows done)", r.KilledAtSeconds,
				units.MiB(float64(r.PeakRSSBytes)), units.Thousands(r.Rows)))
		case summary.StatusOOMKilled:
			parts = append(parts, fmt.Sprintf("OOM-killed by the kernel at %.1f s, exit code %d (container peak %s, %s rows done)",
				r.KilledAtSeconds, r.ExitCode, units.MiB(float64(r.CgroupPeakBytes)), units.Thousands(r.Rows)))
		case summary.StatusTimeout:
			parts = append(parts, fmt.Sprintf("stopped by the time limit (%s rows done)", units.Thousands(r.Rows)))
		default:
			what := r.Status
			if r.Retries > 0 {
				what += fmt.Sprintf(" after %d retries", r.Retries)
			}
			parts = append(parts, fmt.Sprintf("%s (%s)", what, firstLine(r.Error)))
		}
	}
	failed := len(parts)
	// The same failure in every run is said once.
	if failed > 1 && len(slices.Compact(slices.Clone(parts))) == 1 {
		parts = []string{fmt.Sprintf("each %s", parts[0])}
	}
	return fmt.Sprintf("%d of %d runs did not finish: %s", failed, n, strings.Join(parts, "; "))
}

// warnings draws risks from the data: killed runs, OFFSET paging that gets
// slower per row as the table grows, memory that grows with the table.
func warnings(s *summary.Summary, sweep []*summary.Summary) []string {
	var out []string
	for _, st := range s.Strategies {
		killed := 0
		for _, r := range s.Runs {
			if r.Strategy == st.Name && r.Stopped() {
				killed++
			}
		}
		switch {
		case killed > 0 && s.Config.LimitEnforcedBy == summary.EnforcedByKernel:
			out = append(out, fmt.Sprintf("%s reached the %s memory limit of its container and the kernel's OOM killer ended it "+
				"(exit code 137) in %d of %d runs: this is how the original backfill was OOM-killed.",
				st.Name, units.MiB(float64(s.Config.LimitBytes())), killed, st.Runs))
		case killed > 0:
			out = append(out, fmt.Sprintf("%s crossed the %s memory limit and was killed in %d of %d runs: "+
				"this is how the original backfill was OOM-killed (here emulated by the sampler, see above).",
				st.Name, units.MiB(float64(s.Config.LimitBytes())), killed, st.Runs))
		}
	}
	if len(sweep) >= 2 {
		first, last := sweep[0], sweep[len(sweep)-1]
		for _, st := range last.Strategies {
			name := st.Name
			if st.Roles.Paging != summary.PagingOffset {
				continue
			}
			a, okA := first.Lookup(name)
			b, okB := last.Lookup(name)
			if !okA || !okB || a.OK == 0 || b.OK == 0 {
				continue
			}
			perRowA := a.DurationSeconds.Median / float64(first.Config.Rows)
			perRowB := b.DurationSeconds.Median / float64(last.Config.Rows)
			if growth := perRowB / perRowA; growth >= 2 {
				out = append(out, fmt.Sprintf("%s: time per row grew %s from %s to %s rows: OFFSET re-reads every skipped row, "+
					"so the total time grows with the square of the table; keyset paging does not.",
					name, times(growth), units.Thousands(int64(first.Config.Rows)), units.Thousands(int64(last.Config.Rows))))
			}
		}
		for _, st := range last.Strategies {
			a, okA := first.Lookup(st.Name)
			if !okA || a.OK == 0 || st.OK == 0 {
				continue
			}
			growth := (st.PeakRSSBytes.Median - float64(last.BaselinePeakRSSBytes)) /
				math.Max(a.PeakRSSBytes.Median-float64(first.BaselinePeakRSSBytes), 1<<20)
			rowsGrowth := float64(last.Config.Rows) / float64(first.Config.Rows)
			if growth >= rowsGrowth/4 && growth >= 4 {
				out = append(out, fmt.Sprintf("%s: memory above the baseline grew %s while rows grew %s (%s → %s): it needs memory in proportion to the table.",
					st.Name, times(growth), times(rowsGrowth), units.MiB(a.PeakRSSBytes.Median), units.MiB(st.PeakRSSBytes.Median)))
			}
		}
	} else if offset, keyset := bulkPagers(s); offset.OK > 0 && keyset.OK > 0 && offset.DurationSeconds.Median >= 1.5*keyset.DurationSeconds.Median {
		out = append(out, fmt.Sprintf("%s took %s the time of %s already at %s rows: OFFSET re-reads skipped rows, and the gap grows with the table.",
			offset.Name, times(offset.DurationSeconds.Median/keyset.DurationSeconds.Median), keyset.Name, units.Thousands(int64(s.Config.Rows))))
	}
	return out
}

// Markdown renders the recommendation as a report section.
func (r Recommendation) Markdown() string {
	var b strings.Builder
	limit := "no memory limit given (`--memory-limit`, or `--rss-limit` without Docker)"
	if r.LimitBytes > 0 {
		limit = "a memory limit of " + units.MiB(float64(r.LimitBytes))
	}
	where := ""
	if r.Topology != "" {
		where = " " + r.Topology + ","
	}
	fmt.Fprintf(&b, "## Recommendation\n\nFor %s at %s rows,%s with %s:\n\n", r.Database, units.Thousands(int64(r.Rows)), where, limit)
	if r.Best != "" {
		fmt.Fprintf(&b, "- Use **%s**: the fastest strategy whose memory stayed flat", r.Best)
		if r.LimitBytes > 0 {
			fmt.Fprintf(&b, " and whose peak leaves %.0f %% of the limit free", 100*Margin)
		}
		if c := r.Costs[r.Best]; c != "" {
			fmt.Fprintf(&b, "; but none passed every cost rule, and for it: %s", c)
		} else {
			if r.NoProbe {
				b.WriteString(", and that passed the cost rules (no transaction held for most of its run, able to resume")
				if r.Topology != "" {
					b.WriteString(", the other nodes' lag under --max-lag")
				}
				b.WriteString("; no application probe ran beside it)")
			} else {
				b.WriteString(", and that passed the cost rules (the application's p99 beside it under its limit, no transaction held for most of its run, able to resume")
				if r.Topology != "" {
					b.WriteString(", the other nodes' lag under --max-lag")
				}
				b.WriteString(")")
			}
		}
		b.WriteString(".\n")
		if r.Close != "" {
			fmt.Fprintf(&b, "- %s.\n", r.Close)
		}
		if r.Sure != "" {
			fmt.Fprintf(&b, "- How sure: %s.\n", r.Sure)
		}
		fmt.Fprintf(&b, "- %s: %s.\n", rankedWords(r), strings.Join(r.Ranked, ", "))
	} else {
		b.WriteString("- No strategy qualified: every one failed, was killed, or used memory that kept growing.\n")
	}
	if r.SQL != "" {
		fmt.Fprintf(&b, "- %s\n", r.SQL)
	}
	names := make([]string, 0, len(r.Excluded))
	for name := range r.Excluded {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(&b, "- Not %s: %s.\n", name, r.Excluded[name])
	}
	for _, name := range r.Ranked {
		if c := r.Costs[name]; c != "" && name != r.Best {
			fmt.Fprintf(&b, "- Ranked after those that pass the cost rules, %s: %s.\n", name, c)
		}
	}
	for name, c := range r.Costs {
		if !slices.Contains(r.Ranked, name) && !strings.HasPrefix(r.SQL, "If the calculation can be written in SQL, **"+name+"**") {
			fmt.Fprintf(&b, "- In the database, not %s as it stands: %s.\n", name, c)
		}
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "- Warning: %s\n", w)
	}
	return b.String()
}

// rankedWords says how Ranked is ordered: fastest first, or, when some
// fail a cost rule, those that pass first.
func rankedWords(r Recommendation) string {
	for _, name := range r.Ranked {
		if r.Costs[name] != "" && r.Costs[r.Best] == "" {
			return "Ranked, those that pass the cost rules first, each group fastest first"
		}
	}
	return "Ranked, fastest first"
}

// Verdict is the recommendation in a few plain lines, for the end of a
// run on a terminal; REPORT.md gives the reasons.
func (r Recommendation) Verdict() string {
	var b strings.Builder
	if r.Best == "" {
		b.WriteString("Recommendation: none: every strategy failed, was killed, or used memory that kept growing.\n")
	} else {
		on := ""
		if r.Topology != "" {
			on = " " + r.Topology
		}
		fmt.Fprintf(&b, "Recommendation%s: %s, the fastest strategy whose memory stayed flat", on, r.Best)
		if r.LimitBytes > 0 {
			fmt.Fprintf(&b, " with %.0f %% of the %s limit free", 100*Margin, units.MiB(float64(r.LimitBytes)))
		}
		if c := r.Costs[r.Best]; c != "" {
			fmt.Fprintf(&b, "; but none passed every cost rule, and for it: %s", c)
		} else {
			b.WriteString(" and that passed the cost rules")
		}
		b.WriteString(".\n")
		for _, name := range r.FasterButCostly {
			fmt.Fprintf(&b, "  Faster, but ranked after it: %s: %s.\n", name, r.Costs[name])
		}
		switch {
		case r.Close != "":
			fmt.Fprintf(&b, "  %s.\n", r.Close)
		case r.Sure != "":
			fmt.Fprintf(&b, "  %s.\n", r.Sure)
		}
		if len(r.Ranked) > 1 {
			fmt.Fprintf(&b, "  %s: %s.\n", rankedWords(r), strings.Join(r.Ranked, ", "))
		}
	}
	if r.SQL != "" {
		fmt.Fprintf(&b, "  %s\n", strings.ReplaceAll(r.SQL, "**", ""))
	}
	return b.String()
}

// bulkPagers returns the results of the bulk strategies that page by OFFSET
// and by keyset, as their recorded roles say (zero if not run).
func bulkPagers(s *summary.Summary) (offset, keyset summary.Strategy) {
	offset, _ = s.BulkPager(summary.PagingOffset)
	keyset, _ = s.BulkPager(summary.PagingKeyset)
	return offset, keyset
}
