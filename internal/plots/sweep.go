package plots

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/iterbench/iterbench/internal/summary"
)

// SweepCharts draws a sweep, one summary per row count in increasing order:
// median peak RSS against rows and median time against rows, both on log
// scales, one line per strategy. A strategy that was killed or timed out at
// a size gets a cross there instead of a point: at its peak before the kill,
// or at the time limit.
func SweepCharts(ss []*summary.Summary) ([]Chart, error) {
	if len(ss) == 0 {
		return nil, fmt.Errorf("no sweep results to draw")
	}
	names := summary.StrategyNames(ss)
	peak, err := sweepChart(ss, names, "Peak RSS against rows", "peak RSS (MiB)",
		func(st summary.Strategy) float64 { return st.PeakRSSBytes.Median / mib },
		func(r summary.Run) float64 { return float64(r.PeakRSSBytes) / mib })
	if err != nil {
		return nil, err
	}
	if err := addSweepBaseline(peak, ss); err != nil {
		return nil, err
	}
	addLimit(peak, ss[len(ss)-1])
	dur, err := sweepChart(ss, names, "Time against rows", "time (s)",
		func(st summary.Strategy) float64 { return st.DurationSeconds.Median },
		func(r summary.Run) float64 { return r.WallSeconds })
	if err != nil {
		return nil, err
	}
	return []Chart{
		{Name: "peak-rss-vs-rows", Title: "Peak RSS against rows", Plot: peak},
		{Name: "time-vs-rows", Title: "Time against rows", Plot: dur},
	}, nil
}

func sweepChart(ss []*summary.Summary, names []string, what, ylabel string,
	ok func(summary.Strategy) float64, failed func(summary.Run) float64) (*plot.Plot, error) {
	last := ss[len(ss)-1]
	p := plot.New()
	c := last.Config
	p.Title.Text = fmt.Sprintf("%s: %s, batch %d (log scales)", what, c.Database, c.BatchSize)
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = "rows"
	p.Y.Label.Text = ylabel
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	var sizes rowTicks
	for _, s := range ss {
		sizes = append(sizes, float64(s.Config.Rows))
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = sizes, logTicks{}
	var crosses plotter.XYs
	for _, name := range names {
		var xys plotter.XYs
		for _, s := range ss {
			st, found := s.Lookup(name)
			if !found {
				continue
			}
			if st.OK > 0 {
				if y := ok(st); y > 0 {
					xys = append(xys, plotter.XY{X: float64(s.Config.Rows), Y: y})
				}
				continue
			}
			for _, r := range s.Runs {
				if r.Strategy == name && (r.Stopped() || r.Status == summary.StatusTimeout) {
					if y := failed(r); y > 0 {
						crosses = append(crosses, plotter.XY{X: float64(s.Config.Rows), Y: y})
					}
					break
				}
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		col := colorOf(last, name)
		l.Color, l.Width = col, vg.Points(1.5)
		pts.GlyphStyle = glyphOf(last, name)
		p.Add(l, pts)
		p.Legend.Add(name, l, pts)
	}
	if len(crosses) > 0 {
		sc, err := plotter.NewScatter(crosses)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Shape: draw.CrossGlyph{}, Radius: vg.Points(6), Color: killColor}
		p.Add(sc)
		p.Legend.Add("killed or timed out (value reached)", sc)
	}
	return p, nil
}

// addSweepBaseline draws the baseline worker's peak at every size.
func addSweepBaseline(p *plot.Plot, ss []*summary.Summary) error {
	var xys plotter.XYs
	for _, s := range ss {
		if s.BaselinePeakRSSBytes > 0 {
			xys = append(xys, plotter.XY{X: float64(s.Config.Rows), Y: float64(s.BaselinePeakRSSBytes) / mib})
		}
	}
	if len(xys) == 0 {
		return nil
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color, l.Width = baselineColor, vg.Points(1)
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(l)
	p.Legend.Add("baseline (worker that only connects)", l)
	return nil
}
