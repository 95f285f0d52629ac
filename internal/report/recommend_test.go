package report

import (
	"strings"
	"testing"

	"github.com/iterbench/iterbench/internal/bench"
	"github.com/iterbench/iterbench/internal/summary"
)

// fakeRun builds an ok run.
func fakeRun(name string, rep int, peakMiB, secs float64) summary.Run {
	return summary.Run{Strategy: name, Repeat: rep, Status: summary.StatusOK, Rows: 1000, RowsVerified: 1000,
		PeakRSSBytes: uint64(peakMiB * (1 << 20)), KernelMaxRSSBytes: uint64(peakMiB * (1 << 20)), DurationSeconds: secs}
}

// withRoles records each strategy's roles, as bench does.
func withRoles(ss []summary.Strategy) []summary.Strategy {
	for i := range ss {
		ss[i].Roles = bench.RolesOf(ss[i].Name)
	}
	return ss
}

func fakeSummary(rows int, limitMiB float64, runs ...summary.Run) *summary.Summary {
	var names []string
	for _, r := range runs {
		found := false
		for _, n := range names {
			found = found || n == r.Strategy
		}
		if !found {
			names = append(names, r.Strategy)
		}
	}
	s := &summary.Summary{Complete: true, BaselinePeakRSSBytes: 30 << 20, Runs: runs,
		Config: summary.Config{Database: "postgres", Rows: rows, Strategies: names, RSSLimitBytes: uint64(limitMiB * (1 << 20))}}
	s.Strategies = withRoles(summary.Aggregate(runs, names, nil))
	return s
}

func TestRecommendPicksFastestBoundedUnderLimit(t *testing.T) {
	killed := summary.Run{Strategy: "load-all", Repeat: 1, Status: summary.StatusKilled, PeakRSSBytes: 130 << 20, KilledAtSeconds: 0.8, Rows: 0}
	s := fakeSummary(50000, 60,
		killed,
		fakeRun("cursor", 1, 36, 9),
		fakeRun("cursor-bulk", 1, 38, 2),
		fakeRun("keyset-bulk", 1, 37, 1.5),
		fakeRun("fat-but-fast", 1, 52, 0.5), // bounded (1.49× the lowest) but too close to the limit
		fakeRun("set-based", 1, 35, 0.4),
	)
	r := Recommend(s, nil, nil)
	if r.Best != "keyset-bulk" {
		t.Errorf("Best = %q, want keyset-bulk", r.Best)
	}
	if got := strings.Join(r.Ranked, ","); got != "keyset-bulk,cursor-bulk,cursor" {
		t.Errorf("Ranked = %s", got)
	}
	if !strings.Contains(r.Excluded["load-all"], "killed at 0.8 s") {
		t.Errorf("load-all excluded for %q", r.Excluded["load-all"])
	}
	if !strings.Contains(r.Excluded["fat-but-fast"], "leaves less than 20 % of the 60.0 MiB limit free") {
		t.Errorf("fat-but-fast excluded for %q", r.Excluded["fat-but-fast"])
	}
	if !strings.Contains(r.SQL, "set-based") || strings.Contains(strings.Join(r.Ranked, ","), "set-based") {
		t.Errorf("set-based must be a side note, not ranked: SQL %q, ranked %v", r.SQL, r.Ranked)
	}
	if len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "load-all crossed the 60.0 MiB memory limit and was killed in 1 of 1 runs") {
		t.Errorf("warnings %q", r.Warnings)
	}
	md := r.Markdown()
	for _, want := range []string{"## Recommendation", "Use **keyset-bulk**", "Not load-all:", "Warning: load-all crossed"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestRecommendWithoutLimitExcludesHungryStrategies(t *testing.T) {
	s := fakeSummary(50000, 0, fakeRun("load-all", 1, 150, 1), fakeRun("paging", 1, 36, 5))
	r := Recommend(s, nil, nil)
	if r.Best != "paging" {
		t.Errorf("Best = %q, want paging (load-all peaks 120 MiB above the baseline)", r.Best)
	}
	if !strings.Contains(r.Excluded["load-all"], "120.0 MiB above the baseline worker's, more than the 24.0 MiB") {
		t.Errorf("load-all excluded for %q", r.Excluded["load-all"])
	}
	// Nothing qualifies.
	s = fakeSummary(10, 0, summary.Run{Strategy: "x", Repeat: 1, Status: summary.StatusError, Error: "boom"})
	if r := Recommend(s, nil, nil); r.Best != "" || !strings.Contains(r.Markdown(), "No strategy qualified") {
		t.Errorf("Best = %q with only failed runs", r.Best)
	}
}

func TestRecommendSweepWarnings(t *testing.T) {
	small := fakeSummary(10000, 0,
		fakeRun("load-all", 1, 40, 0.2), fakeRun("paging-bulk", 1, 35, 0.1), fakeRun("keyset-bulk", 1, 35, 0.1))
	big := fakeSummary(1000000, 0,
		fakeRun("load-all", 1, 1030, 20), fakeRun("paging-bulk", 1, 35, 100), fakeRun("keyset-bulk", 1, 35, 10))
	r := Recommend(big, nil, []*summary.Summary{small, big})
	got := strings.Join(r.Warnings, "\n")
	for _, want := range []string{
		"paging-bulk: time per row grew 10× from 10,000 to 1,000,000 rows",
		"load-all: memory above the baseline grew 100× while rows grew 100×",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "keyset-bulk") {
		t.Errorf("keyset-bulk, flat in time per row and memory, was warned about:\n%s", got)
	}
	// Without a sweep, a slow paging-bulk next to keyset-bulk is still flagged.
	one := fakeSummary(200000, 0, fakeRun("paging-bulk", 1, 35, 6), fakeRun("keyset-bulk", 1, 35, 2))
	if w := strings.Join(Recommend(one, nil, nil).Warnings, ""); !strings.Contains(w, "paging-bulk took 3.0× the time of keyset-bulk") {
		t.Errorf("single-run warning missing: %q", w)
	}
}

// TestRecommendUnderKernelLimit: under --memory-limit the OOM kill is named
// as the kernel's, and the margin is taken on the container's working set
// as well as on RSS.
func TestRecommendUnderKernelLimit(t *testing.T) {
	oom := summary.Run{Strategy: "load-all", Repeat: 1, Status: summary.StatusOOMKilled, ExitCode: 137, OOMKilled: true,
		PeakRSSBytes: 120 << 20, CgroupPeakBytes: 128 << 20, KilledAtSeconds: 1.9, Rows: 0}
	cached := fakeRun("cursor-bulk", 1, 38, 2)
	cached.CgroupWorkingSetPeakBytes = 110 << 20 // page cache the kernel would not drop
	s := fakeSummary(200000, 0, oom, cached, fakeRun("keyset-bulk", 1, 37, 3))
	s.Config.MemoryLimitBytes, s.Config.LimitEnforcedBy = 128<<20, summary.EnforcedByKernel
	r := Recommend(s, nil, nil)
	if r.Best != "keyset-bulk" || r.LimitBytes != 128<<20 {
		t.Errorf("Best = %q, limit %d; want keyset-bulk under 128 MiB", r.Best, r.LimitBytes)
	}
	if !strings.Contains(r.Excluded["load-all"], "OOM-killed by the kernel at 1.9 s, exit code 137") {
		t.Errorf("load-all excluded for %q", r.Excluded["load-all"])
	}
	if !strings.Contains(r.Excluded["cursor-bulk"], "peak 110.0 MiB leaves less than 20 %") {
		t.Errorf("cursor-bulk excluded for %q", r.Excluded["cursor-bulk"])
	}
	if len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "the kernel's OOM killer ended it (exit code 137) in 1 of 1 runs") {
		t.Errorf("warnings %q", r.Warnings)
	}
	md := string(Markdown(s, nil, nil))
	for _, want := range []string{"limited to 128.0 MiB with no swap", "cgroup charge", "status `oom-killed`"} {
		if !strings.Contains(md, want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
}
