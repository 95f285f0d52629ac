package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iterbench/iterbench/internal/plots"
	"github.com/iterbench/iterbench/internal/summary"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestMarkdownGolden renders the reports of two small recorded runs (one
// from before the probe, one with the probe and --kill-at on PostgreSQL) and
// compares them with their golden files in testdata (go test -update
// rewrites them).
func TestMarkdownGolden(t *testing.T) {
	for _, c := range []struct{ dir, golden string }{
		{"testdata/run", "REPORT.golden.md"},
		{"../plots/testdata/probe", "REPORT.probe.golden.md"},
	} {
		s, samples, err := summary.Read(c.dir)
		if err != nil {
			t.Fatal(err)
		}
		charts, err := plots.Charts(s, samples)
		if err != nil {
			t.Fatal(err)
		}
		got := Markdown(s, samples, charts)
		golden := filepath.Join("testdata", c.golden)
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("report differs from %s (run go test -update to accept):\n%s", golden, got)
		}
	}
}

func TestWrite(t *testing.T) {
	s, samples, err := summary.Read("testdata/run")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Write(dir, s, samples); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, File))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rss-over-time", "rss-over-time-bounded", "peak-rss", "duration"} {
		for _, ext := range plots.Formats {
			if fi, err := os.Stat(filepath.Join(dir, name+"."+ext)); err != nil || fi.Size() == 0 {
				t.Errorf("%s.%s: %v", name, ext, err)
			}
		}
		if !bytes.Contains(md, []byte("("+name+".png)")) {
			t.Errorf("%s does not show %s.png", File, name)
		}
	}
}

func TestFindings(t *testing.T) {
	base := func() *summary.Summary {
		var runs []summary.Run
		// Six repeats each, the times a little apart: enough for the U test
		// to call a 2× difference.
		for rep := 1; rep <= 6; rep++ {
			d := 0.01 * float64(rep-3)
			runs = append(runs,
				summary.Run{Strategy: "load-all", Repeat: rep, Status: summary.StatusOK, Rows: 10, RowsVerified: 10, PeakRSSBytes: 100 << 20, KernelMaxRSSBytes: 100 << 20, DurationSeconds: 4 + d},
				summary.Run{Strategy: "paging", Repeat: rep, Status: summary.StatusOK, Rows: 10, RowsVerified: 10, PeakRSSBytes: 20 << 20, KernelMaxRSSBytes: 20 << 20, DurationSeconds: 8 + d},
				summary.Run{Strategy: "paging-bulk", Repeat: rep, Status: summary.StatusOK, Rows: 10, RowsVerified: 10, PeakRSSBytes: 22 << 20, KernelMaxRSSBytes: 22 << 20, DurationSeconds: 2 + d})
		}
		s := &summary.Summary{Complete: true, BaselinePeakRSSBytes: 10 << 20, Runs: runs,
			Config: summary.Config{Strategies: []string{"load-all", "paging", "paging-bulk"}}}
		s.Strategies = withRoles(summary.Aggregate(runs, s.Config.Strategies, nil))
		return s
	}
	joined := func(s *summary.Summary) string { return strings.Join(Findings(s, nil), "\n") }

	got := joined(base())
	for _, want := range []string{
		"**load-all** peaked highest at 100.0 MiB, 5.0× the lowest, **paging** at 20.0 MiB",
		"paging 2.0×, paging-bulk 2.2× the baseline worker's 10.0 MiB",
		"**paging-bulk** was fastest (2.00 s, 5 rows/s), 4.0× faster than **paging** (8.00 s; p = 0.002, n = 6+6)",
		"paging-bulk took 2.00 s against paging's 8.00 s per-row (4.0× faster, p = 0.002, n = 6+6)",
		"in all 18 ok runs the sampled peak is within 10 %",
		"All 18 runs finished",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("findings lack %q:\n%s", want, got)
		}
	}

	s := base()
	s.Runs[1].KernelMaxRSSBytes = 30 << 20 // the sampler missed a third of the peak
	s.Runs = append(s.Runs, summary.Run{Strategy: "load-all", Repeat: 2, Status: summary.StatusError, Error: "disk full\nmore"})
	got = joined(s)
	for _, want := range []string{"NOT within 10 % of the kernel's VmHWM (largest gap 33.3 %, paging repeat 1)", "load-all repeat 2: error (disk full)"} {
		if !strings.Contains(got, want) {
			t.Errorf("findings lack %q:\n%s", want, got)
		}
	}
}

func TestCompare(t *testing.T) {
	a, _, err := summary.Read("testdata/run")
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := summary.Read("testdata/run")
	b.Config.Database, b.Config.DatabaseVersion = "postgres", "PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64"
	for i := range b.Strategies {
		b.Strategies[i].DurationSeconds.Median *= 2
	}
	for i := range b.Runs {
		b.Runs[i].DurationSeconds *= 2
	}
	b.Strategies = b.Strategies[1:] // postgres lacks load-all
	md := string(Compare([]string{"sqlite", "postgres"}, []*summary.Summary{a, b}))
	for _, want := range []string{
		"[sqlite 3.54.1](sqlite/REPORT.md) peak RSS | time | [postgres 15.18](postgres/REPORT.md) peak RSS | time |",
		"| load-all | 37.8 MiB | 0.250 s | – | – |",
		"cursor: sqlite 3.54.1 0.272 s, postgres 15.18 0.543 s (slowest against fastest: too few runs to tell (p = 0.333, n = 2+2;",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("comparison lacks %q:\n%s", want, md)
		}
	}
}

// TestVerdict: the lines a run ends with name the recommended strategy and
// how sure the comparison is, as the report does.
func TestVerdict(t *testing.T) {
	s, samples, err := summary.Read("testdata/run")
	if err != nil {
		t.Fatal(err)
	}
	r := Recommend(s, samples, nil)
	v := r.Verdict()
	for _, want := range []string{"Recommendation: " + r.Best + ",", r.Close, "fastest first: " + strings.Join(r.Ranked, ", ")} {
		if r.Best == "" || !strings.Contains(v, want) {
			t.Errorf("verdict %q lacks %q", v, want)
		}
	}
	md := string(Markdown(s, samples, nil))
	if i, j := strings.Index(md, "## Recommendation"), strings.Index(md, "## Measurements"); i < 0 || j < i {
		t.Errorf("REPORT.md does not open with the recommendation:\n%s", md)
	}
}
