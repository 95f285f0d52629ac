package plots_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"log"
	"slices"
	"testing"

	"iterbench/plots"
	"iterbench/summary"
)

func fixture(t testing.TB) (*summary.Summary, []summary.SampleRow) {
	s, samples, err := summary.Read("../report/testdata/run")
	if err != nil {
		t.Fatal(err)
	}
	return s, samples
}

func TestChartsRenderDecodablePNGAndSVG(t *testing.T) {
	s, samples := fixture(t)
	charts, err := plots.Charts(s, samples)
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) != 4 {
		t.Fatalf("got %d charts, want 4", len(charts))
	}
	for _, c := range charts {
		data, err := plots.Encode(c.Plot, "png")
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s.png does not decode: %v", c.Name, err)
		}
		if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 300 {
			t.Errorf("%s.png is only %v", c.Name, b)
		}
		svg, err := plots.Encode(c.Plot, "svg")
		if err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(bytes.NewReader(svg))
		for {
			if _, err := dec.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s.svg is not well-formed XML: %v", c.Name, err)
			}
		}
		if c.Plot.Title.Text == "" || c.Plot.Y.Label.Text == "" {
			t.Errorf("%s lacks a title or a y label", c.Name)
		}
	}
}

func TestBounded(t *testing.T) {
	const m = 1 << 20
	// Baseline 10 MiB; the smallest excess is 40 MiB, so up to 60 MiB above
	// the baseline is bounded.
	s := &summary.Summary{BaselinePeakRSSBytes: 10 * m, Strategies: []summary.Strategy{
		{Name: "big", OK: 1, PeakRSSBytes: summary.Stat{Median: 71 * m}},
		{Name: "small", OK: 1, PeakRSSBytes: summary.Stat{Median: 50 * m}},
		{Name: "near", OK: 1, PeakRSSBytes: summary.Stat{Median: 70 * m}},
		{Name: "failed", OK: 0},
	}}
	if got := plots.Bounded(s); !slices.Equal(got, []string{"small", "near"}) {
		t.Errorf("Bounded = %v", got)
	}
	// A smallest excess of 2 MiB (set-based) allows BoundedFloor × 1.5 =
	// 24 MiB: a strategy holding a batch 11 MiB above the baseline is
	// bounded, one 25 MiB above it is not.
	s = &summary.Summary{BaselinePeakRSSBytes: 13 * m, Strategies: []summary.Strategy{
		{Name: "set-based", OK: 1, PeakRSSBytes: summary.Stat{Median: 15 * m}},
		{Name: "batch", OK: 1, PeakRSSBytes: summary.Stat{Median: 24 * m}},
		{Name: "four-batches", OK: 1, PeakRSSBytes: summary.Stat{Median: 38 * m}},
	}}
	if got := plots.Bounded(s); !slices.Equal(got, []string{"set-based", "batch"}) {
		t.Errorf("Bounded = %v", got)
	}
}

func TestChartsOfEmptySummary(t *testing.T) {
	charts, err := plots.Charts(&summary.Summary{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range charts {
		if _, err := plots.Encode(c.Plot, "png"); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
	}
}

// Example draws the charts of a results folder and saves them as PNG.
func Example() {
	s, samples, err := summary.Read("../report/testdata/run")
	if err != nil {
		log.Fatal(err)
	}
	charts, err := plots.Charts(s, samples)
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range charts {
		if _, err := plots.Encode(c.Plot, "png"); err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.Name)
	}
	// Output:
	// rss-over-time
	// rss-over-time-bounded
	// peak-rss
	// duration
}
