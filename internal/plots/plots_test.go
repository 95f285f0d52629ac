package plots_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"log"
	"testing"

	"github.com/iterbench/iterbench/internal/plots"
	"github.com/iterbench/iterbench/internal/summary"
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
