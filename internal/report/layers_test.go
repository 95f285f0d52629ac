package report

import (
	"strings"
	"testing"

	"github.com/iterbench/iterbench/internal/summary"
)

// TestLayerTable: a driver form is never the recommendation, however
// fast; the table gives GORM's share of its form's time where the test
// tells the two apart, and says so where it does not.
func TestLayerTable(t *testing.T) {
	var all []summary.Run
	for i, secs := range []float64{1.0, 1.1, 1.05, 1.02, 1.08} {
		all = append(all, fakeRun("keyset-bulk", i+1, 36, secs), fakeRun("keyset-bulk@driver", i+1, 36, secs*0.8),
			fakeRun("keyset-pipelined", i+1, 38, 1.2+0.01*float64(i)), fakeRun("keyset-pipelined@driver", i+1, 38, 1.2+0.01*float64(4-i)))
	}
	s := fakeSummary(50000, 0, all...)
	r := Recommend(s, nil, nil)
	if r.Best != "keyset-bulk" || strings.Contains(strings.Join(r.Ranked, " "), "@driver") {
		t.Errorf("recommended %s, ranked %v; the driver forms are not strategies to run", r.Best, r.Ranked)
	}
	got := layerTable(s)
	for _, want := range []string{
		"| keyset-bulk | 1.05 s | 0.840 s | 20 % (p = 0.008, n = 5+5) |",
		"| keyset-pipelined | 1.22 s | 1.22 s | no significant difference (p = 1.000, n = 5+5) |",
		"pgx's own interface",
		"through database/sql and pgx's adapter",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("layer table lacks %q:\n%s", want, got)
		}
	}
	if got := layerTable(fakeSummary(50000, 0, all[:4]...)); !strings.Contains(got, "too few runs to tell") {
		t.Errorf("one run each: %s", got)
	}
	if got := layerTable(fakeSummary(50000, 0, fakeRun("keyset-bulk", 1, 36, 1))); got != "" {
		t.Errorf("no driver form, yet a table: %s", got)
	}
}
