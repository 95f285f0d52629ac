package report

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/units"
)

// CompareFile is the name of the cross-database comparison.
const CompareFile = "COMPARISON.md"

// Compare returns a Markdown comparison of several results folders (one per
// database, normally): one table of median peak RSS and median time per
// strategy and folder, and findings computed from them. dirs name the
// folders, relative to where the comparison is written.
func Compare(dirs []string, ss []*summary.Summary) []byte {
	var b bytes.Buffer
	b.WriteString("# iterbench: databases compared\n\n")
	names := summary.StrategyNames(ss)
	b.WriteString("| strategy |")
	for i, s := range ss {
		fmt.Fprintf(&b, " [%s](%s) peak RSS | time |", label(s), filepath.ToSlash(filepath.Join(dirs[i], File)))
	}
	b.WriteString("\n|---|")
	b.WriteString(strings.Repeat("---:|---:|", len(ss)))
	b.WriteByte('\n')
	for _, name := range names {
		fmt.Fprintf(&b, "| %s |", name)
		for _, s := range ss {
			st, ok := s.Lookup(name)
			if !ok || st.OK == 0 {
				b.WriteString(" – | – |")
				continue
			}
			fmt.Fprintf(&b, " %s | %s |", units.MiB(st.PeakRSSBytes.Median), units.Seconds(st.DurationSeconds.Median))
		}
		b.WriteByte('\n')
	}
	b.WriteString("| *baseline* |")
	for _, s := range ss {
		fmt.Fprintf(&b, " %s | |", units.MiB(float64(s.BaselinePeakRSSBytes)))
	}
	b.WriteString("\n\n")
	for _, s := range ss {
		c := s.Config
		fmt.Fprintf(&b, "- **%s**: %s rows, batch %d, %d repeats, bulk form `%s`, seeding %s",
			label(s), units.Thousands(int64(c.Rows)), c.BatchSize, c.Repeats, c.BulkForm, units.Seconds(s.SeedSeconds))
		if c.Image != "" {
			fmt.Fprintf(&b, ", image `%s` (`%s`), container start %s", c.Image, c.ServerCommand, units.Seconds(c.StartSeconds))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Findings\n\n")
	for _, f := range CompareFindings(ss) {
		fmt.Fprintf(&b, "- %s\n", f)
	}
	return b.Bytes()
}

// CompareFindings derives statements across databases from the numbers.
func CompareFindings(ss []*summary.Summary) []string {
	var out []string
	for _, s := range ss {
		ok := slices.DeleteFunc(slices.Clone(s.Strategies), func(st summary.Strategy) bool { return st.OK == 0 })
		if len(ok) == 0 {
			continue
		}
		fastest := slices.MinFunc(ok, func(a, b summary.Strategy) int {
			return cmp.Compare(a.DurationSeconds.Median, b.DurationSeconds.Median)
		})
		hungriest := slices.MaxFunc(ok, func(a, b summary.Strategy) int {
			return cmp.Compare(a.PeakRSSBytes.Median, b.PeakRSSBytes.Median)
		})
		leanest := slices.MinFunc(ok, func(a, b summary.Strategy) int {
			return cmp.Compare(a.PeakRSSBytes.Median, b.PeakRSSBytes.Median)
		})
		out = append(out, fmt.Sprintf("%s: fastest **%s** (%s, %s rows/s); most memory **%s** (%s, %s the leanest, %s).",
			label(s), fastest.Name, units.Seconds(fastest.DurationSeconds.Median),
			units.Thousands(int64(math.Round(fastest.RowsPerSecond))), hungriest.Name,
			units.MiB(hungriest.PeakRSSBytes.Median), times(hungriest.PeakRSSBytes.Median/leanest.PeakRSSBytes.Median), leanest.Name))
	}
	// Per strategy: which database ran it fastest, and the spread.
	names := summary.StrategyNames(ss)
	for _, name := range names {
		type entry struct {
			db  string
			sec float64
			xs  []float64
		}
		var es []entry
		for _, s := range ss {
			if st, ok := s.Lookup(name); ok && st.OK > 0 {
				es = append(es, entry{label(s), st.DurationSeconds.Median, durations(s, name)})
			}
		}
		if len(es) < 2 {
			continue
		}
		slices.SortFunc(es, func(a, b entry) int { return cmp.Compare(a.sec, b.sec) })
		var parts []string
		for _, e := range es {
			parts = append(parts, fmt.Sprintf("%s %s", e.db, units.Seconds(e.sec)))
		}
		slow, fast := es[len(es)-1], es[0]
		c := benchmath.AssumeNothing.Compare(benchmath.NewSample(slow.xs, &benchmath.DefaultThresholds),
			benchmath.NewSample(fast.xs, &benchmath.DefaultThresholds))
		verdict := fmt.Sprintf("slowest %s the fastest, %s", times(slow.sec/fast.sec), pn(c))
		if !significant(c) {
			verdict = "slowest against fastest: " + noDifference(c)
		}
		out = append(out, fmt.Sprintf("%s: %s (%s).", name, strings.Join(parts, ", "), verdict))
	}
	return out
}

func label(s *summary.Summary) string {
	v := s.Config.DatabaseVersion
	if i := strings.IndexAny(v, " -"); i > 0 {
		v = v[:i]
	}
	if strings.HasPrefix(s.Config.DatabaseVersion, "PostgreSQL ") {
		v = strings.Fields(s.Config.DatabaseVersion)[1]
	}
	l := strings.TrimSpace(s.Config.Database + " " + v)
	if onCluster(s) {
		l += ", " + s.Config.Topology
	}
	return l
}
