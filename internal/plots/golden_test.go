package plots_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/cmpimg"

	"github.com/iterbench/iterbench/internal/analysis"
	"github.com/iterbench/iterbench/internal/plots"
	"github.com/iterbench/iterbench/internal/report"
	"github.com/iterbench/iterbench/internal/summary"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata")

// goldenDir holds one golden PNG for every chart TestGoldenCharts draws.
const goldenDir = "testdata/golden"

// checkGolden renders each chart as PNG and compares it with
// goldenDir/PREFIX+NAME.png, pixel for pixel (go test -update rewrites
// them), and records in drawn the file names it checked.
func checkGolden(t *testing.T, prefix string, charts []plots.Chart, drawn map[string]bool) {
	t.Helper()
	for _, c := range charts {
		name := prefix + c.Name + ".png"
		drawn[name] = true
		got, err := plots.Encode(c.Plot, "png")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(goldenDir, name)
		if *update {
			if err := os.MkdirAll(goldenDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("chart %s has no golden image: %v (go test ./plots -update writes it)", name, err)
			continue
		}
		os.Remove(filepath.Join(goldenDir, strings.TrimSuffix(name, ".png")+gotSuffix)) // from an earlier failure
		if ok, err := cmpimg.Equal("png", got, want); err != nil {
			t.Errorf("compare %s with %s: %v", name, path, err)
		} else if !ok {
			t.Errorf("%s differs from %s; %s; look at both, and accept it with go test ./plots -update", name, path, keep(t, name, got))
		}
	}
}

// keep writes a drawn chart that differs from its golden image beside it,
// as NAME.got.png (ignored by git), and says where it is.
func keep(t *testing.T, name string, png []byte) string {
	path := filepath.Join(goldenDir, strings.TrimSuffix(name, ".png")+gotSuffix)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return "the drawn chart could not be kept: " + err.Error()
	}
	return "the drawn chart is " + path
}

// gotSuffix ends the name of a drawn chart kept beside its golden image.
const gotSuffix = ".got.png"

// checkNoStaleGolden fails for every golden image no chart was drawn for
// (a chart that disappeared); go test -update removes them.
func checkNoStaleGolden(t *testing.T, drawn map[string]bool) {
	t.Helper()
	files, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if drawn[f.Name()] || strings.HasSuffix(f.Name(), gotSuffix) {
			continue
		}
		path := filepath.Join(goldenDir, f.Name())
		if !*update {
			t.Errorf("%s: no chart was drawn for it (go test ./plots -update removes it)", path)
		} else if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGoldenCharts draws every chart kind from fixed results in testdata:
// a run under a container limit with kills and two repeats, an old run
// without the memory split, a run with the application probe and --kill-at
// on PostgreSQL, and a sweep. Every golden image must have been drawn.
func TestGoldenCharts(t *testing.T) {
	drawn := map[string]bool{}
	for _, c := range []struct{ prefix, dir string }{{"limit-", "testdata/limit"}, {"run-", "../report/testdata/run"}, {"probe-", "testdata/probe"}} {
		s, samples, err := summary.Read(c.dir)
		if err != nil {
			t.Fatal(err)
		}
		// As the report draws them: the recommended strategy emphasised.
		charts, err := plots.Draw(s, samples, analysis.Bounded(s), report.Recommend(s, samples, nil).Best)
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, c.prefix, charts, drawn)
	}
	ss, _, err := report.ReadSweep("testdata/sweep")
	if err != nil {
		t.Fatal(err)
	}
	charts, err := plots.SweepCharts(ss)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "sweep-", charts, drawn)
	checkNoStaleGolden(t, drawn)
}
