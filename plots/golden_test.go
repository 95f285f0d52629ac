package plots_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/cmpimg"

	"iterbench/plots"
	"iterbench/report"
	"iterbench/summary"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata")

// checkGolden renders each chart as PNG and compares it with
// testdata/golden/NAME.png, pixel for pixel (go test -update rewrites them).
func checkGolden(t *testing.T, prefix string, charts []plots.Chart) {
	t.Helper()
	for _, c := range charts {
		got, err := plots.Encode(c.Plot, "png")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "golden", prefix+c.Name+".png")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./plots -update writes it)", err)
		}
		if ok, err := cmpimg.Equal("png", got, want); err != nil || !ok {
			os.WriteFile(filepath.Join(t.TempDir(), c.Name+".png"), got, 0o644)
			t.Errorf("%s differs from %s (%v); look at both, and accept it with go test ./plots -update", c.Name, path, err)
		}
	}
}

// TestGoldenCharts draws every chart kind from fixed results in testdata:
// a run under a container limit with kills and two repeats, an old run
// without the memory split, a run with the application probe and --kill-at
// on PostgreSQL, and a sweep.
func TestGoldenCharts(t *testing.T) {
	for _, c := range []struct{ prefix, dir string }{{"limit-", "testdata/limit"}, {"run-", "../report/testdata/run"}, {"probe-", "testdata/probe"}} {
		s, samples, err := summary.Read(c.dir)
		if err != nil {
			t.Fatal(err)
		}
		charts, err := plots.Charts(s, samples)
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, c.prefix, charts)
	}
	ss, _, err := report.ReadSweep("testdata/sweep")
	if err != nil {
		t.Fatal(err)
	}
	charts, err := plots.SweepCharts(ss)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "sweep-", charts)
}
