package report

import (
	"slices"
	"strings"
	"testing"

	"github.com/iterbench/iterbench/internal/summary"
)

// TestProjectionInReport: with --target-rows and a limit, a strategy whose
// memory grows with the table is ruled out as it would be killed at the
// target size, the bounded ones stay, and the report shows the projection.
func TestProjectionInReport(t *testing.T) {
	var big, small []summary.Run
	for rep := 1; rep <= 4; rep++ {
		d := float64(rep) / 10
		big = append(big, fakeRun("load-all", rep, 150+d, 3+d), fakeRun("keyset-bulk", rep, 40+d, 2+d), fakeRun("parallel-keyset", rep, 60+d, 2.5+d))
		small = append(small, fakeRun("load-all", rep, 60+d, 0.6+d/5), fakeRun("keyset-bulk", rep, 40+d, 0.4+d/5), fakeRun("parallel-keyset", rep, 58+d, 0.5+d/5))
	}
	s := fakeSummary(50000, 512, big...)
	s.Config.PayloadBytes = 1024
	s.Projection = &summary.Projection{TargetRows: 30_000_000, Rows: 12500, BaselinePeakRSSBytes: 30 << 20, Runs: small}
	r := Recommend(s, nil, nil)
	if r.Best != "keyset-bulk" || !strings.Contains(r.Excluded["load-all"], "projected to need about") ||
		!strings.Contains(r.Excluded["load-all"], "above the 512.0 MiB limit: it would be killed") {
		t.Errorf("Best %q, load-all excluded for %q; want keyset-bulk, and load-all killed at 30,000,000 rows", r.Best, r.Excluded["load-all"])
	}
	// parallel-keyset is above a bounded strategy's allowance at 50,000
	// rows, but grew by 56 bytes a row between the sizes: steady, ranked.
	if !slices.Contains(r.Ranked, "parallel-keyset") {
		t.Errorf("parallel-keyset excluded (%q), want it ranked: the two sizes show it does not grow with the table", r.Excluded["parallel-keyset"])
	}
	md := string(Markdown(s, nil, nil))
	for _, want := range []string{"## Projection to 30,000,000 rows", "| load-all | 60.2 MiB → 150.2 MiB | **yes**", "| keyset-bulk | 40.2 MiB → 40.2 MiB | no (bounded) |", "**killed** |", "fits |"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if i, j := strings.Index(md, "## Projection"), strings.Index(md, "## Measurements"); i < 0 || j < i {
		t.Error("the projection is not before the measurements")
	}
}
