package report

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/iterbench/iterbench/internal/outdir"
	"github.com/iterbench/iterbench/internal/plots"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/units"
)

// SweepDir is the subfolder of a sweep folder that holds one row count.
func SweepDir(rows int) string { return fmt.Sprintf("rows-%d", rows) }

// ReadSweep reads every row count's results from a sweep folder, in
// increasing order of rows.
func ReadSweep(dir string) ([]*summary.Summary, [][]summary.SampleRow, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	type one struct {
		s       *summary.Summary
		samples []summary.SampleRow
	}
	var all []one
	for _, e := range entries {
		n, err := strconv.Atoi(strings.TrimPrefix(e.Name(), "rows-"))
		if !e.IsDir() || err != nil || e.Name() != SweepDir(n) {
			continue
		}
		s, samples, err := summary.Read(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, nil, err
		}
		all = append(all, one{s, samples})
	}
	if len(all) == 0 {
		return nil, nil, fmt.Errorf("%s holds no rows-N folders of a sweep", dir)
	}
	slices.SortFunc(all, func(a, b one) int { return cmp.Compare(a.s.Config.Rows, b.s.Config.Rows) })
	var ss []*summary.Summary
	var sms [][]summary.SampleRow
	for _, o := range all {
		ss, sms = append(ss, o.s), append(sms, o.samples)
	}
	return ss, sms, nil
}

// WriteSweep draws the sweep charts and writes the sweep's REPORT.md into
// dir; ss are the row counts' summaries in increasing order of rows, and
// their folders are dir/rows-N.
func WriteSweep(dir string, ss []*summary.Summary) error {
	charts, err := plots.SweepCharts(ss)
	if err != nil {
		return err
	}
	if err := writeCharts(dir, charts); err != nil {
		return err
	}
	// The largest row count's samples decide which strategies stay flat.
	_, samples, err := summary.Read(filepath.Join(dir, SweepDir(ss[len(ss)-1].Config.Rows)))
	if err != nil {
		return err
	}
	return outdir.WriteFile(filepath.Join(dir, File), SweepMarkdown(ss, samples, charts))
}

// SweepMarkdown returns the report of a sweep: median peak RSS and time of
// every strategy at every row count, the charts, and the recommendation for
// the largest row count with the sweep's warnings. samples are the largest
// row count's samples.
func SweepMarkdown(ss []*summary.Summary, samples []summary.SampleRow, charts []plots.Chart) []byte {
	var b bytes.Buffer
	last := ss[len(ss)-1]
	c := last.Config
	var sizes []string
	for _, s := range ss {
		sizes = append(sizes, units.Thousands(int64(s.Config.Rows)))
	}
	fmt.Fprintf(&b, "# iterbench sweep: %s, %s rows\n\n", c.Database, strings.Join(sizes, ", "))
	// The answer first; how it was reached below.
	b.WriteString(Recommend(last, samples, ss).Markdown())
	b.WriteString("\n## Measurements\n\n")
	fmt.Fprintf(&b, "%s %s, batch %d, %d repeat(s) per size", c.Database, c.DatabaseVersion, c.BatchSize, c.Repeats)
	if c.TimeoutSeconds > 0 {
		fmt.Fprintf(&b, ", time limit %s per run", units.Seconds(c.TimeoutSeconds))
	}
	b.WriteString(". Each row count has a full report of its own: ")
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "[%s](%s/%s)", sizes[i], SweepDir(s.Config.Rows), File)
	}
	b.WriteString(".\n\n")
	names := summary.StrategyNames(ss)
	for _, part := range []struct {
		title string
		cell  func(st summary.Strategy) string
	}{
		{"Median peak RSS", func(st summary.Strategy) string { return units.MiB(st.PeakRSSBytes.Median) }},
		{"Median time", func(st summary.Strategy) string { return units.Seconds(st.DurationSeconds.Median) }},
	} {
		fmt.Fprintf(&b, "### %s\n\n| strategy | %s |\n|---|%s\n", part.title, strings.Join(sizes, " | "), strings.Repeat("---:|", len(ss)))
		for _, name := range names {
			fmt.Fprintf(&b, "| %s |", name)
			for _, s := range ss {
				st, found := s.Lookup(name)
				switch {
				case !found:
					b.WriteString(" – |")
				case st.OK == 0:
					fmt.Fprintf(&b, " %s |", statuses(s, name))
				default:
					fmt.Fprintf(&b, " %s |", part.cell(st))
				}
			}
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	}
	for _, ch := range charts {
		fmt.Fprintf(&b, "### %s\n\n![%s](%s.png)\n\n", ch.Title, ch.Title, ch.Name)
	}
	b.WriteString("### Growth\n\n")
	for _, g := range Growth(ss) {
		fmt.Fprintf(&b, "- %s\n", g)
	}
	return b.Bytes()
}

// Growth describes, per strategy, how its median peak RSS and its time per
// row changed from the smallest to the largest row count where it finished.
func Growth(ss []*summary.Summary) []string {
	names := summary.StrategyNames(ss)
	var out []string
	for _, name := range names {
		var first, last *summary.Summary
		var a, z summary.Strategy
		for _, s := range ss {
			if st, ok := s.Lookup(name); ok && st.OK > 0 {
				if first == nil {
					first, a = s, st
				}
				last, z = s, st
			}
		}
		if first == nil || first == last {
			continue
		}
		perRow := func(s *summary.Summary, st summary.Strategy) float64 {
			return 1e6 * st.DurationSeconds.Median / float64(s.Config.Rows)
		}
		out = append(out, fmt.Sprintf("%s, %s → %s rows: median peak RSS %s → %s (%+.0f %%, %s the baseline at the largest); time per row %.1f → %.1f µs (%s).",
			name, units.Thousands(int64(first.Config.Rows)), units.Thousands(int64(last.Config.Rows)),
			units.MiB(a.PeakRSSBytes.Median), units.MiB(z.PeakRSSBytes.Median),
			100*(z.PeakRSSBytes.Median/a.PeakRSSBytes.Median-1), times(z.PeakRSSBytes.Median/float64(last.BaselinePeakRSSBytes)),
			perRow(first, a), perRow(last, z), times(perRow(last, z)/perRow(first, a))))
	}
	return out
}
