package plots

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/iterbench/iterbench/internal/analysis"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/units"
)

// hasLag reports whether s holds a cluster's readings (lag.csv).
func hasLag(s *summary.Summary) bool { return len(s.Lag) > 0 }

// lagOverTime draws how far the other nodes were behind the first during
// each strategy's representative run, with the --max-lag limit.
func lagOverTime(s *summary.Summary, best string) (*plot.Plot, error) {
	what := "Standby's replay lag"
	if s.Config.Topology == "galera" {
		what = "Slowest node's apply lag"
	}
	p := newPlot(s, what+" per 100 ms")
	p.X.Label.Text = "time since the run started (s)"
	p.Y.Label.Text = "lag (s)"
	p.X.Tick.Marker, p.Y.Tick.Marker = linearTicks{}, linearTicks{}
	p.X.Min, p.Y.Min = 0, 0
	names := drawOrder(s, best)
	for _, name := range names {
		r, ok := analysis.Representative(s, name)
		if !ok {
			continue
		}
		var xy plotter.XYs
		for _, x := range s.Lag {
			if x.Strategy == name && x.Repeat == r.Repeat {
				xy = append(xy, plotter.XY{X: x.T, Y: x.LagSeconds})
			}
		}
		if len(xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, err
		}
		label, width := name, vg.Points(1.6)
		l.Color = colorOf(s, name)
		if name == best {
			label, width = recommended(name), vg.Points(3)
			h, err := halo(xy)
			if err != nil {
				return nil, err
			}
			l.Width = width
			p.Add(h, l)
			p.Legend.Add(label, h, l)
		} else {
			l.Width = width
			p.Add(l)
			p.Legend.Add(label, l)
		}
		for _, pt := range xy {
			p.Y.Max, p.X.Max = max(p.Y.Max, pt.Y), max(p.X.Max, pt.X)
		}
	}
	if limit := s.Config.MaxLagSeconds; limit > 0 {
		f := plotter.NewFunction(func(float64) float64 { return limit })
		f.Color, f.Width = killColor, vg.Points(1)
		f.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		p.Add(f)
		p.Legend.Add(fmt.Sprintf("--max-lag (%s)", units.Seconds(limit)), f)
		p.Y.Max = max(p.Y.Max, limit)
	}
	p.X.Max = max(p.X.Max, 1)
	p.Y.Max *= 1.25
	return p, nil
}
