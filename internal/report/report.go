// Package report writes a results folder's charts and REPORT.md, whose
// table and findings are computed from the measurements.
package report

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/iterbench/iterbench/internal/analysis"
	"github.com/iterbench/iterbench/internal/outdir"
	"github.com/iterbench/iterbench/internal/plots"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/units"
)

// File is the name of the Markdown report.
const File = "REPORT.md"

// SampleTolerance is how far a sampled peak may fall below the kernel's
// high-water mark before the report flags it.
const SampleTolerance = 0.10

// Write draws every chart (PNG and SVG) and writes REPORT.md into dir, each
// file atomically.
func Write(dir string, s *summary.Summary, samples []summary.SampleRow) error {
	a := analysis.Of(s, samples)
	charts, err := plots.Draw(s, samples, a.Bounded, recommend(s, a, nil).Best)
	if err != nil {
		return err
	}
	if err := writeCharts(dir, charts); err != nil {
		return err
	}
	return outdir.WriteFile(filepath.Join(dir, File), markdown(s, a, charts))
}

// writeCharts writes every chart into dir in every format, atomically.
func writeCharts(dir string, charts []plots.Chart) error {
	for _, c := range charts {
		for _, format := range plots.Formats {
			data, err := plots.Encode(c.Plot, format)
			if err != nil {
				return fmt.Errorf("render %s.%s: %w", c.Name, format, err)
			}
			if err := outdir.WriteFile(filepath.Join(dir, c.Name+"."+format), data); err != nil {
				return err
			}
		}
	}
	return nil
}

// Markdown returns the report for a summary.
func Markdown(s *summary.Summary, samples []summary.SampleRow, charts []plots.Chart) []byte {
	return markdown(s, analysis.Of(s, samples), charts)
}

func markdown(s *summary.Summary, a analysis.Analysis, charts []plots.Chart) []byte {
	var b bytes.Buffer
	c := s.Config
	fmt.Fprintf(&b, "# iterbench: %s, %s rows\n\n", c.Database, units.Thousands(int64(c.Rows)))
	if !s.Complete {
		b.WriteString("**Incomplete:** this run was interrupted; the figures below cover only the runs that happened.\n\n")
	}
	// The answer first; how it was reached below.
	b.WriteString(recommend(s, a, nil).Markdown())
	if p := projectionSection(s); p != "" {
		b.WriteString("\n" + p)
	}
	b.WriteString("\n## Measurements\n\n")
	if j := c.Job; j != nil {
		scope := "Every row"
		if j.Scoped {
			scope = "Every row in the job's scope"
		}
		fmt.Fprintf(&b, "Job `%s`: %s of `%s` (key %s) read (%s), its %s computed in Go and written back, "+
			"on a copy (`%s`) made afresh from `%s` before every run, which was only read; ",
			j.Name, scope, j.Table, strings.Join(j.Key, ", "), strings.Join(j.Read, ", "), strings.Join(j.Write, ", "), j.Copy, j.Table)
	} else {
		size := units.Thousands(int64(c.PayloadBytes)) + " bytes each"
		if c.PayloadMaxBytes > c.PayloadBytes {
			size = units.Thousands(int64(c.PayloadBytes)) + " to " + units.Thousands(int64(c.PayloadMaxBytes)) + " bytes, log-uniformly"
		}
		fmt.Fprintf(&b, "Every row's `score` recomputed from its JSON document (%s) and written back, ", size)
	}
	repeats := fmt.Sprintf("%d repeat(s) each", c.Repeats)
	if c.MinRepeats > 0 {
		repeats = fmt.Sprintf("%d to %d repeats each (sequential: after %d of every strategy, a repeat ran only the leader and the strategies "+
			"the Mann-Whitney U test could not yet tell from it, until it could or %d were done)", c.MinRepeats, c.Repeats, c.MinRepeats, c.Repeats)
		if c.ScreenFactor > 0 {
			var once []string
			for _, st := range s.Strategies {
				if st.Screened {
					once = append(once, st.Name)
				}
			}
			repeats = fmt.Sprintf("1 to %d repeats each (sequential: a strategy whose first run took more than %s times as long as the leader's ran no more (%s); "+
				"after %d of every other strategy, a repeat ran only the leader and the strategies the Mann-Whitney U test could not yet tell from it, "+
				"and a driver form with its GORM form until the test told them apart, until it could or %d were done)",
				c.Repeats, strconv.FormatFloat(c.ScreenFactor, 'g', -1, 64), orNone(once), c.MinRepeats, c.Repeats)
		}
	}
	fmt.Fprintf(&b, "by %d strategies, %s, in an order shuffled per repeat (shuffle seed %d). "+
		"Each run is a worker process of its own whose RSS was sampled every %s; every row was verified after every run.\n\n",
		len(s.Strategies), repeats, c.ShuffleSeed, seconds(c.IntervalSeconds))
	fmt.Fprintf(&b, "- Database: %s %s, driver %s %s, GORM %s\n", c.Database, c.DatabaseVersion, c.Driver, c.DriverVersion, c.GORMVersion)
	if len(c.Settings) > 0 {
		keys := make([]string, 0, len(c.Settings))
		for k := range c.Settings {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var kv []string
		for _, k := range keys {
			kv = append(kv, k+"="+c.Settings[k])
		}
		fmt.Fprintf(&b, "- Settings: %s\n", strings.Join(kv, ", "))
	}
	fmt.Fprintf(&b, "- Batch size %d; bulk-update form `%s`\n", c.BatchSize, c.BulkForm)
	if c.SeedMethod != "" {
		fmt.Fprintf(&b, "- Seeding %s rows took %s (%s)\n", units.Thousands(int64(c.Rows)), units.Seconds(s.SeedSeconds), c.SeedMethod)
	}
	fmt.Fprintf(&b, "- Baseline (a worker that only connects): %s sampled peak", units.MiB(float64(s.BaselinePeakRSSBytes)))
	if s.BaselineAnonPeakBytes > 0 {
		fmt.Fprintf(&b, " (%s anonymous, %s file-backed)", units.MiB(float64(s.BaselineAnonPeakBytes)), units.MiB(float64(s.BaselineFilePeakBytes)))
	}
	fmt.Fprintf(&b, ", %s VmHWM", units.MiB(float64(s.BaselineKernelMaxRSSBytes)))
	if s.BaselineCgroupPeakBytes > 0 {
		fmt.Fprintf(&b, "; its container was charged %s", units.MiB(float64(s.BaselineCgroupPeakBytes)))
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "- %s on %s/%s, %d CPUs", c.GoVersion, c.OS, c.Arch, c.CPUs)
	if c.CPUModel != "" {
		fmt.Fprintf(&b, " (%s)", c.CPUModel)
	}
	fmt.Fprintf(&b, ", started %s\n\n", c.StartedAt.Format("2006-01-02 15:04 UTC"))

	b.WriteString("| strategy | median peak RSS | spread (min–max) | anonymous above baseline | median time | rows/s | rows verified | runs ok |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, st := range s.Strategies {
		if st.OK == 0 {
			fmt.Fprintf(&b, "| %s | – | – | – | – | – | – | 0/%d (%s) |\n", st.Name, st.Runs, statuses(s, st.Name))
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s–%s | %s | %s | %s | %s (%d wrong) | %d/%d |\n",
			st.Name, units.MiB(st.PeakRSSBytes.Median),
			strings.TrimSuffix(units.MiB(st.PeakRSSBytes.Min), " MiB"), units.MiB(st.PeakRSSBytes.Max),
			aboveBaseline(s, st), strings.TrimSpace(units.Seconds(st.DurationSeconds.Median)+" "+timeInterval(s, st.Name)),
			units.Thousands(int64(math.Round(st.RowsPerSecond))),
			units.Thousands(st.RowsVerified), st.WrongRows, st.OK, st.Runs)
	}
	b.WriteString("\n" + memoryNote(s))
	b.WriteString("\nTimes are medians; ± is the 95 % confidence interval of the median (golang.org/x/perf/benchmath, as benchstat), " +
		"shown from 6 runs on. A finding calls one strategy faster than another only where the Mann-Whitney U test finds the " +
		"difference significant (p < 0.05), which takes at least 4 runs of each.\n")
	if len(s.Unsupported) > 0 {
		fmt.Fprintf(&b, "\nNot offered by %s, so not run: %s.\n", c.Database, strings.Join(s.Unsupported, ", "))
	}
	b.WriteString(limitNote(s))
	if t := batchTable(s); t != "" {
		b.WriteString("\n" + t)
	}
	if t := timeTable(s); t != "" {
		b.WriteString("\n" + t)
	}
	if t := layerTable(s); t != "" {
		b.WriteString("\n" + t)
	}
	if t := costTable(s); t != "" {
		b.WriteString("\n" + t)
	}
	if t := clusterTable(s); t != "" {
		b.WriteString("\n" + t)
	}
	b.WriteString("\n## Findings\n\n")
	for _, f := range findings(s, a) {
		fmt.Fprintf(&b, "- %s\n", f)
	}
	if len(charts) > 0 {
		b.WriteString("\n## Charts\n\n")
		for _, ch := range charts {
			fmt.Fprintf(&b, "### %s\n\n![%s](%s.png)\n\n", ch.Title, ch.Title, ch.Name)
		}
	}
	b.WriteString("## Strategies\n\n")
	for _, st := range s.Strategies {
		fmt.Fprintf(&b, "- **%s**: %s\n", st.Name, st.Description)
	}
	b.WriteString("\nFiles: `summary.json` (configuration and every run), `samples.csv` (every RSS sample), " +
		"`probe.csv` (the application probe's p99 per 250 ms window), `bench.txt` (Go benchmark format, for benchstat). Redraw the charts and this report with `iterbench plot DIR`.\n")
	return b.Bytes()
}

// Findings derives short statements from the measurements.
func Findings(s *summary.Summary, samples []summary.SampleRow) []string {
	return findings(s, analysis.Of(s, samples))
}

func findings(s *summary.Summary, a analysis.Analysis) []string {
	var out []string
	ok := slices.DeleteFunc(slices.Clone(s.Strategies), func(st summary.Strategy) bool { return st.OK == 0 })
	if len(ok) == 0 {
		return []string{"No strategy finished a run: there is nothing to compare."}
	}
	byPeak := slices.Clone(ok)
	slices.SortStableFunc(byPeak, func(a, b summary.Strategy) int { return cmp.Compare(a.PeakRSSBytes.Median, b.PeakRSSBytes.Median) })
	low, high := byPeak[0], byPeak[len(byPeak)-1]
	if len(ok) > 1 {
		out = append(out, fmt.Sprintf("Memory: **%s** peaked highest at %s, %s the lowest, **%s** at %s.",
			high.Name, units.MiB(high.PeakRSSBytes.Median), times(high.PeakRSSBytes.Median/low.PeakRSSBytes.Median),
			low.Name, units.MiB(low.PeakRSSBytes.Median)))
	}
	if base := float64(s.BaselinePeakRSSBytes); base > 0 {
		var parts []string
		for _, name := range a.Bounded {
			st, _ := s.Lookup(name)
			if s.BaselineAnonPeakBytes > 0 {
				parts = append(parts, fmt.Sprintf("%s %s", name, aboveBaseline(s, st)))
			} else {
				parts = append(parts, fmt.Sprintf("%s %s", name, times(st.PeakRSSBytes.Median/base)))
			}
		}
		if s.BaselineAnonPeakBytes > 0 {
			out = append(out, fmt.Sprintf("Bounded (median peak at most %s above the baseline), anonymous memory above the baseline worker's %s: %s.",
				units.MiB(analysis.BoundedAllowance(s)), units.MiB(float64(s.BaselineAnonPeakBytes)), strings.Join(parts, ", ")))
		} else {
			out = append(out, fmt.Sprintf("Bounded (median peak at most %s above the baseline): %s the baseline worker's %s.",
				units.MiB(analysis.BoundedAllowance(s)), strings.Join(parts, ", "), units.MiB(base)))
		}
	}
	if flat, growing := a.Flat, a.Growing; len(flat)+len(growing) > 0 {
		msg := ""
		if len(flat) > 0 {
			msg = fmt.Sprintf("Flat: %s kept the floor of its RSS over the last %.0f %% of the run (the lowest point of its second half within %.0f %% of the peak, or %d MiB, of the lowest of its first half; the teeth of batches and garbage collection are not growth).",
				strings.Join(flat, ", "), 100*(1-analysis.FlatStart), 100*analysis.FlatTolerance, analysis.FlatFloor>>20)
		}
		if len(growing) > 0 {
			msg = strings.TrimSpace(msg + fmt.Sprintf(" Still rising (the floor of its RSS rose by more than %.0f %% of the peak and %d MiB over the last %.0f %% of the run): %s.",
				100*analysis.FlatTolerance, analysis.FlatFloor>>20, 100*(1-analysis.FlatStart), strings.Join(growing, ", ")))
		}
		out = append(out, msg)
	}
	byTime := slices.Clone(ok)
	slices.SortStableFunc(byTime, func(a, b summary.Strategy) int {
		return cmp.Compare(a.DurationSeconds.Median, b.DurationSeconds.Median)
	})
	fast, slow := byTime[0], byTime[len(byTime)-1]
	// "Too few runs to tell" is explained once; after that, said briefly.
	explained := false
	nodiff := func(c benchmath.Comparison) string {
		if len(c.Warnings) > 0 && explained {
			return fmt.Sprintf("too few runs to tell (n = %d+%d)", c.N1, c.N2)
		}
		explained = explained || len(c.Warnings) > 0
		return noDifference(c)
	}
	if len(ok) > 1 {
		out = append(out, fmt.Sprintf("Speed: **%s** was fastest (%s, %s rows/s), %s.",
			fast.Name, units.Seconds(fast.DurationSeconds.Median), units.Thousands(int64(math.Round(fast.RowsPerSecond))),
			fasterClaim(s, fast, slow, nodiff)))
	}
	for _, st := range ok {
		bulk, found := s.BulkTwinOf(st.Name)
		if found && bulk.OK > 0 && bulk.DurationSeconds.Median > 0 {
			c := compareTimes(s, bulk.Name, st.Name)
			claim := fmt.Sprintf("%s faster, %s", times(st.DurationSeconds.Median/bulk.DurationSeconds.Median), pn(c))
			if !significant(c) {
				claim = nodiff(c)
			}
			out = append(out, fmt.Sprintf("Bulk writes: %s took %s against %s's %s per-row (%s).",
				bulk.Name, units.Seconds(bulk.DurationSeconds.Median), st.Name, units.Seconds(st.DurationSeconds.Median), claim))
		}
	}
	out = append(out, samplerCheck(s))
	var failed []string
	for _, r := range s.Runs {
		if r.Status != summary.StatusOK {
			failed = append(failed, fmt.Sprintf("%s repeat %d: %s (%s)", r.Strategy, r.Repeat, r.Status, firstLine(r.Error)))
		}
	}
	if len(failed) > 0 {
		out = append(out, "Runs that did not finish correctly: "+strings.Join(failed, "; ")+".")
	} else {
		out = append(out, fmt.Sprintf("All %d runs finished with every row verified correct.", len(s.Runs)))
	}
	return out
}

// samplerCheck compares sampled peaks with the kernel's high-water marks.
func samplerCheck(s *summary.Summary) string {
	worst, n := 0.0, 0
	var worstRun summary.Run
	for _, r := range s.Runs {
		if r.Status != summary.StatusOK || r.KernelMaxRSSBytes == 0 {
			continue
		}
		n++
		gap := math.Abs(float64(r.KernelMaxRSSBytes)-float64(r.PeakRSSBytes)) / float64(r.KernelMaxRSSBytes)
		if gap >= worst {
			worst, worstRun = gap, r
		}
	}
	if n == 0 {
		return "Sampler check: no run to check."
	}
	verdict := "within"
	if worst > SampleTolerance {
		verdict = "NOT within"
	}
	return fmt.Sprintf("Sampler check: in all %d ok runs the sampled peak is %s %.0f %% of the kernel's VmHWM (largest gap %.1f %%, %s repeat %d).",
		n, verdict, 100*SampleTolerance, 100*worst, worstRun.Strategy, worstRun.Repeat)
}

func times(x float64) string {
	if x >= 10 {
		return fmt.Sprintf("%.0f×", x)
	}
	return fmt.Sprintf("%.1f×", x)
}

func seconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%g ms", s*1000)
	}
	return fmt.Sprintf("%g s", s)
}

// statuses counts the statuses of a strategy's runs: "killed 3".
func statuses(s *summary.Summary, name string) string {
	counts := map[string]int{}
	var order []string
	for _, r := range s.Runs {
		if r.Strategy == name {
			if counts[r.Status] == 0 {
				order = append(order, r.Status)
			}
			counts[r.Status]++
		}
	}
	var parts []string
	for _, st := range order {
		parts = append(parts, fmt.Sprintf("%s %d", st, counts[st]))
	}
	return strings.Join(parts, ", ")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// aboveBaseline is a strategy's median anonymous peak less the baseline
// worker's: what the strategy itself allocated, whatever the size or the
// caching of the executable. "–" in results without the memory split.
func aboveBaseline(s *summary.Summary, st summary.Strategy) string {
	if s.BaselineAnonPeakBytes == 0 || st.AnonPeakBytes.Median == 0 {
		return "–"
	}
	d := st.AnonPeakBytes.Median - float64(s.BaselineAnonPeakBytes)
	sign := "+"
	if d < 0 {
		sign, d = "−", -d
	}
	return sign + units.MiB(d)
}

// memoryNote says what the memory figures are.
func memoryNote(s *summary.Summary) string {
	note := "Memory is the worker's resident set size (VmRSS), sampled from /proc.\n"
	if s.BaselineAnonPeakBytes > 0 {
		note = "Memory is the worker's resident set size (VmRSS, sampled from /proc/PID/status): its **anonymous** pages " +
			"(RssAnon: heap and stacks, what the program allocated) plus its **file-backed** pages (RssFile: mostly the " +
			"executable, mapped from the page cache; the kernel can drop and reread them, and their number depends on how the " +
			"file happens to be cached, not on the strategy). \"Anonymous above baseline\" is a strategy's median anonymous peak " +
			"less that of a worker that only connects: the memory the strategy itself needs.\n"
	}
	if s.Config.LimitEnforcedBy == summary.EnforcedByKernel {
		note += "\nUnder the container limit the kernel counts neither of these but the container's **cgroup charge**: " +
			"anonymous memory, the page cache its processes touched (SQLite's database and WAL pages included) and kernel memory. " +
			"When the charge reaches the limit the kernel first reclaims page cache, and kills only when nothing more can be " +
			"reclaimed. The **working set** (charge less inactive file pages) is what the kubelet compares with a pod's limit.\n"
	}
	return note
}

// limitNote says how the memory limit was enforced, if there was one.
func limitNote(s *summary.Summary) string {
	c := s.Config
	switch {
	case c.LimitBytes() == 0:
		return ""
	case c.LimitEnforcedBy == summary.EnforcedByKernel:
		return fmt.Sprintf("\nMemory limit: every worker ran in a container limited to %s with no swap (`--memory-limit`); "+
			"the kernel's OOM killer ended a worker whose container reached it (status `oom-killed`, exit code 137, as Kubernetes "+
			"reports OOMKilled). GOMEMLIMIT: %s.\n", units.MiB(float64(c.LimitBytes())), goMemLimit(c.GoMemLimit))
	default:
		return fmt.Sprintf("\nMemory limit (emulated): the parent sampled each worker's RSS every %s and killed a worker above %s "+
			"(status `killed`, `--rss-limit`). This is an emulation: the kernel compares the cgroup's charge instead, and acts "+
			"at once, while a worker can overshoot a sampled limit by what it allocates between two samples. GOMEMLIMIT: %s.\n",
			seconds(c.IntervalSeconds), units.MiB(float64(c.LimitBytes())), goMemLimit(c.GoMemLimit))
	}
}

func goMemLimit(setting string) string {
	switch setting {
	case "", "off":
		return "off"
	case "auto":
		return "auto (90 % of the container's limit, set by automemlimit in the worker)"
	}
	if n, err := strconv.ParseUint(setting, 10, 64); err == nil {
		return units.MiB(float64(n))
	}
	return setting
}

// batchTable describes the batches of the strategies that size them
// (keyset-bulk, keyset-adaptive): medians over their ok runs of the
// batches' count and own time, and the smallest and largest batch seen;
// empty when no run recorded batches.
func batchTable(s *summary.Summary) string {
	var b strings.Builder
	for _, st := range s.Strategies {
		var count, p50, p99 []float64
		lo, hi := 0, 0
		for _, r := range s.Runs {
			if r.Strategy != st.Name || r.Status != summary.StatusOK || r.Batches == nil || r.Resume != nil {
				continue
			}
			bt := r.Batches
			count, p50, p99 = append(count, float64(bt.Count)), append(p50, bt.SecondsP50), append(p99, bt.SecondsP99)
			if lo == 0 || bt.RowsMin < lo {
				lo = bt.RowsMin
			}
			hi = max(hi, bt.RowsMax)
		}
		if len(count) == 0 {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("Batches (medians over the ok runs; a batch's own read, computation and write):\n\n")
			b.WriteString("| strategy | batches | rows per batch | time p50 | time p99 |\n|---|---:|---:|---:|---:|\n")
		}
		fmt.Fprintf(&b, "| %s | %s | %s–%s | %s | %s |\n", st.Name, units.Thousands(int64(summary.NewStat(count).Median)),
			units.Thousands(int64(lo)), units.Thousands(int64(hi)),
			units.Seconds(summary.NewStat(p50).Median), units.Seconds(summary.NewStat(p99).Median))
	}
	if b.Len() > 0 && s.Config.BatchTargetSeconds > 0 {
		fmt.Fprintf(&b, "\nkeyset-adaptive aimed at %s a batch (--batch-target).\n", units.Seconds(s.Config.BatchTargetSeconds))
	}
	return b.String()
}

// orNone is names joined by commas, or "none".
func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
