package plots

import (
	"fmt"
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/iterbench/iterbench/internal/analysis"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/units"
)

// hasProbe reports whether any run of s had the application probe beside it.
func hasProbe(s *summary.Summary) bool {
	for _, r := range s.Runs {
		if r.Probe != nil {
			return true
		}
	}
	return false
}

// probeOverTime draws the probe's p99 per window for each strategy's
// representative run, and for the idle probe, on a log scale: a stall of a
// second and a steady millisecond are both readable.
func probeOverTime(s *summary.Summary, best string) (*plot.Plot, error) {
	p := newPlot(s, "Application p99 per 250 ms")
	p.X.Label.Text = "time since the run started (s)"
	p.Y.Label.Text = "probe p99 (ms, log scale)"
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
	p.X.Tick.Marker = linearTicks{}
	p.X.Min, p.Y.Min = 0, 0.5
	const floor = 0.5 // ms: the log axis's bottom
	line := func(name string, rep int) plotter.XYs {
		var xy plotter.XYs
		for _, w := range s.ProbeWindows {
			if w.Strategy == name && w.Repeat == rep {
				xy = append(xy, plotter.XY{X: w.T, Y: max(w.P99Ms, floor)})
			}
		}
		return xy
	}
	add := func(label string, xy plotter.XYs, c color.Color, width vg.Length, emphasis bool) error {
		if len(xy) == 0 {
			return nil
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.Color, l.Width = c, width
		if emphasis {
			h, err := halo(xy)
			if err != nil {
				return err
			}
			p.Add(h)
			p.Add(l)
			p.Legend.Add(label, h, l)
		} else {
			p.Add(l)
			p.Legend.Add(label, l)
		}
		for _, pt := range xy {
			p.Y.Max = max(p.Y.Max, pt.Y)
			p.X.Max = max(p.X.Max, pt.X)
		}
		return nil
	}
	// The strategies set the time axis; the idle probe (5 s with no
	// strategy) is a band across it, from its lowest to its highest window.
	lo, hi := 0.0, 0.0
	for _, w := range line(summary.IdleStrategy, 0) {
		if lo == 0 || w.Y < lo {
			lo = w.Y
		}
		hi = max(hi, w.Y)
	}
	names := drawOrder(s, best)
	for _, name := range names {
		r, ok := analysis.Representative(s, name)
		if !ok {
			continue
		}
		label, width := name, vg.Points(1.6)
		if name == best {
			label, width = recommended(name), vg.Points(3)
		}
		if err := add(label, line(name, r.Repeat), colorOf(s, name), width, name == best); err != nil {
			return nil, err
		}
	}
	if hi > 0 {
		right := max(p.X.Max, 1)
		band, err := plotter.NewPolygon(plotter.XYs{{X: 0, Y: lo}, {X: right, Y: lo}, {X: right, Y: hi}, {X: 0, Y: hi}})
		if err != nil {
			return nil, err
		}
		band.Color, band.LineStyle.Width = color.NRGBA{R: 90, G: 90, B: 90, A: 45}, 0
		p.Add(band)
		p.Legend.Add(fmt.Sprintf("idle, no strategy (%s – %s)", units.Millis(lo), units.Millis(hi)), band)
		p.Y.Max = max(p.Y.Max, hi)
	}
	if err := addAppLimit(p, s, floor); err != nil {
		return nil, err
	}
	p.Y.Max = max(p.Y.Max*1.5, 10)
	return p, nil
}

// drawOrder is s's strategies in the order their lines are drawn: the
// recommended one, best, last, on top of the others.
func drawOrder(s *summary.Summary, best string) []string {
	names := make([]string, 0, len(s.Strategies))
	for _, st := range s.Strategies {
		if st.Name != best {
			names = append(names, st.Name)
		}
	}
	if slices.ContainsFunc(s.Strategies, func(st summary.Strategy) bool { return st.Name == best }) {
		names = append(names, best)
	}
	return names
}

// addAppLimit draws the p99 above which a strategy is ranked after the
// others, if a probe ran.
func addAppLimit(p *plot.Plot, s *summary.Summary, floor float64) error {
	limit, _ := analysis.AppP99Limit(s)
	if limit <= 0 {
		return nil
	}
	y := max(limit, floor)
	f := plotter.NewFunction(func(float64) float64 { return y })
	f.Color, f.Width = killColor, vg.Points(1)
	f.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	p.Add(f)
	p.Legend.Add(fmt.Sprintf("p99 limit (%.0f ms)", limit), f)
	p.Y.Max = max(p.Y.Max, y)
	return nil
}

// probeP99 draws the probe's p99 per strategy as bars, with the idle p99
// and the limit as lines.
func probeP99(s *summary.Summary, best string) (*plot.Plot, error) {
	p, err := statBars(s, best, "Application p99 beside each strategy", "probe p99 (ms)",
		func(st summary.Strategy) summary.Stat { return st.ProbeP99Ms },
		func(r summary.Run) float64 {
			if r.Probe == nil {
				return 0
			}
			return r.Probe.P99Ms
		}, 1, 0)
	if err != nil {
		return nil, err
	}
	if s.IdleProbe != nil {
		y := s.IdleProbe.P99Ms
		f := plotter.NewFunction(func(float64) float64 { return y })
		f.Color, f.Width = baselineColor, vg.Points(1)
		f.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(f)
		p.Legend.Add(fmt.Sprintf("idle p99 (%.1f ms)", y), f)
	}
	if err := addAppLimit(p, s, 0); err != nil {
		return nil, err
	}
	// Each median written above its bar (and above the limit line, so that
	// the line never strikes through it): beside a stall of a second, bars
	// of a few milliseconds are too short to read.
	// With more than 10 bars, every other label a line higher, so that
	// neighbours do not run into each other.
	limit, _ := analysis.AppP99Limit(s)
	rows := 1
	if len(s.Strategies) > 10 {
		rows = 2
	}
	at := make([]plotter.XYLabels, rows)
	for i, st := range s.Strategies {
		if st.OK > 0 && st.ProbeP99Ms.Median > 0 {
			r := i % rows
			at[r].XYs = append(at[r].XYs, plotter.XY{X: float64(i), Y: max(st.ProbeP99Ms.Max, limit)})
			at[r].Labels = append(at[r].Labels, units.Millis(st.ProbeP99Ms.Median))
		}
	}
	for r := range at {
		if len(at[r].XYs) == 0 {
			continue
		}
		labels, err := plotter.NewLabels(at[r])
		if err != nil {
			return nil, err
		}
		for i := range labels.TextStyle {
			labels.TextStyle[i].XAlign = draw.XCenter
		}
		labels.Offset = vg.Point{Y: vg.Points(6 + 12*float64(r))}
		p.Add(labels)
	}
	headroom(p)
	return p, nil
}
