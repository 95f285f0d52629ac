// Package plots draws the charts of a results folder with gonum/plot:
// RSS over time, the same zoomed onto the low-memory strategies, peak RSS
// and duration per strategy.
package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"iterbench/summary"
)

// Chart is one drawn chart.
type Chart struct {
	// Name is the file name without extension.
	Name string
	// Title describes the chart in a sentence fragment.
	Title string
	Plot  *plot.Plot
}

// Size of every chart.
const (
	Width  = 9 * vg.Inch
	Height = 5 * vg.Inch
)

// Formats are the file formats charts are written in.
var Formats = []string{"png", "svg"}

// BoundedFactor and BoundedFloor select the bounded strategies (those of the
// zoomed RSS chart, and those the recommendation considers): a strategy's
// median peak above the baseline worker's may be at most BoundedFactor times
// the smallest such excess, or BoundedFloor if that is larger. Memory above
// the baseline, not the whole RSS: with a lean worker (a baseline of 13 MiB)
// a batch of 1000 rows doubles the RSS while the strategy is as bounded as
// one that holds a single row.
const (
	BoundedFactor = 1.5
	BoundedFloor  = 16 << 20
)

const mib = 1 << 20

// palette gives each strategy the same colour on every chart.
var palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
	{188, 189, 34, 255}, {23, 190, 207, 255}, {0, 0, 128, 255}, {128, 128, 0, 255},
}

// Charts draws every chart for a summary and its samples. A summary
// without runs gives empty charts, so that no stale chart outlives a new run.
func Charts(s *summary.Summary, samples []summary.SampleRow) ([]Chart, error) {
	all := names(s)
	bounded := Bounded(s)
	var charts []Chart
	for _, c := range []struct {
		name, title string
		draw        func() (*plot.Plot, error)
	}{
		{"rss-over-time", "RSS over time", func() (*plot.Plot, error) { return rssOverTime(s, samples, all, "RSS over time", true) }},
		{"rss-over-time-bounded", "RSS over time, bounded strategies only", func() (*plot.Plot, error) {
			return rssOverTime(s, samples, bounded, "RSS over time, bounded strategies", false)
		}},
		{"peak-rss", "Peak RSS per strategy", func() (*plot.Plot, error) { return peakRSS(s) }},
		{"duration", "Duration per strategy", func() (*plot.Plot, error) { return duration(s) }},
	} {
		p, err := c.draw()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		charts = append(charts, Chart{Name: c.name, Title: c.title, Plot: p})
	}
	return charts, nil
}

// Encode renders p in format ("png" or "svg"), with its legend, if any, to
// the right of the data area, so that it never covers a line.
func Encode(p *plot.Plot, format string) ([]byte, error) {
	w, err := draw.NewFormattedCanvas(Width, Height, format)
	if err != nil {
		return nil, err
	}
	c := draw.New(w)
	// A legend of one line (the bar charts' baseline) stays in the top right
	// corner, above the bars; a longer one gets a column of its own.
	if r := p.Legend.Rectangle(c).Size(); r.Y > 1.5*p.Legend.TextStyle.Font.Size {
		lw := r.X
		const gap = 10
		margin := lw + 2*vg.Points(gap)
		p.Legend.Left, p.Legend.Top = false, true
		p.Legend.XOffs = margin - vg.Points(gap)
		c = draw.Crop(c, 0, -margin, 0, 0)
	} else {
		p.Legend.Left, p.Legend.Top = false, true
	}
	p.Draw(c)
	var b bytes.Buffer
	if _, err := w.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Bounded returns the strategies whose median peak RSS is within
// BoundedFactor of the smallest, in summary order.
func Bounded(s *summary.Summary) []string {
	allowed := BoundedAllowance(s)
	var out []string
	for _, st := range s.Strategies {
		if st.OK > 0 && Excess(s, st) <= allowed {
			out = append(out, st.Name)
		}
	}
	return out
}

// Excess is a strategy's median peak RSS above the baseline worker's.
func Excess(s *summary.Summary, st summary.Strategy) float64 {
	return st.PeakRSSBytes.Median - float64(s.BaselinePeakRSSBytes)
}

// BoundedAllowance is the largest excess over the baseline a bounded
// strategy may have: BoundedFactor × max(the smallest excess, BoundedFloor).
func BoundedAllowance(s *summary.Summary) float64 {
	low := math.Inf(1)
	for _, st := range s.Strategies {
		if st.OK > 0 {
			low = min(low, Excess(s, st))
		}
	}
	return BoundedFactor * max(low, BoundedFloor)
}

func names(s *summary.Summary) []string {
	var out []string
	for _, st := range s.Strategies {
		out = append(out, st.Name)
	}
	return out
}

// colorOf returns the colour of a strategy: its position in the configured
// strategy list, so that a strategy keeps its colour across charts.
func colorOf(s *summary.Summary, name string) color.Color {
	i := slices.Index(s.Config.Strategies, name)
	if i < 0 {
		i = slices.IndexFunc(s.Strategies, func(st summary.Strategy) bool { return st.Name == name })
	}
	return palette[max(i, 0)%len(palette)]
}

func newPlot(s *summary.Summary, what string) *plot.Plot {
	p := plot.New()
	c := s.Config
	p.Title.Text = fmt.Sprintf("%s: %s, %s rows, batch %d", what, c.Database, summary.Thousands(int64(c.Rows)), c.BatchSize)
	if !s.Complete {
		p.Title.Text += " (incomplete)"
	}
	p.Title.TextStyle.Font.Size = vg.Points(13)
	return p
}

// rssOverTime draws, for each named strategy, the RSS samples of its
// median-peak run.
func rssOverTime(s *summary.Summary, samples []summary.SampleRow, strategies []string, what string, withLimit bool) (*plot.Plot, error) {
	p := newPlot(s, what)
	p.X.Label.Text = "time since worker start (s)"
	p.Y.Label.Text = "RSS (MiB)"
	p.Y.Min = 0
	var kills plotter.XYs
	for _, name := range strategies {
		run, ok := representative(s, name)
		if !ok {
			continue
		}
		var xys plotter.XYs
		for _, x := range samples {
			if x.Strategy == name && x.Repeat == run.Repeat {
				xys = append(xys, plotter.XY{X: x.T, Y: float64(x.RSS) / mib})
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.Color = colorOf(s, name)
		l.Width = vg.Points(1.5)
		p.Add(l)
		label := name
		if run.Stopped() {
			label += " (" + run.Status + ")"
			kills = append(kills, xys[len(xys)-1])
		}
		p.Legend.Add(label, l)
	}
	if len(kills) > 0 {
		sc, err := plotter.NewScatter(kills)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Shape: draw.CrossGlyph{}, Radius: vg.Points(7), Color: killColor}
		p.Add(sc)
		p.Legend.Add("killed by the memory limit", sc)
	}
	if err := addBaseline(p, s); err != nil {
		return nil, err
	}
	if withLimit {
		addLimit(p, s)
	}
	headroom(p)
	return p, nil
}

// killColor marks kills and the memory limit.
var killColor = color.RGBA{200, 0, 0, 255}

// representative returns the run drawn for a strategy over time: its
// median ok run, or else its first killed or timed-out run.
func representative(s *summary.Summary, name string) (summary.Run, bool) {
	if r, ok := s.MedianRun(name); ok {
		return r, true
	}
	for _, r := range s.Runs {
		if r.Strategy == name && (r.Stopped() || r.Status == summary.StatusTimeout) {
			return r, true
		}
	}
	return summary.Run{}, false
}

// addLimit draws the memory limit, if there was one.
func addLimit(p *plot.Plot, s *summary.Summary) {
	if s.Config.LimitBytes() == 0 {
		return
	}
	y := float64(s.Config.LimitBytes()) / mib
	f := plotter.NewFunction(func(float64) float64 { return y })
	f.Color, f.Width = killColor, vg.Points(1)
	f.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	p.Add(f)
	label := fmt.Sprintf("memory limit (%.0f MiB, kernel)", y)
	if s.Config.LimitEnforcedBy != summary.EnforcedByKernel {
		label = fmt.Sprintf("RSS limit (%.0f MiB, sampled)", y)
	}
	p.Legend.Add(label, f)
	p.Y.Max = max(p.Y.Max, y)
}

// headroom leaves a little room above the highest line.
func headroom(p *plot.Plot) {
	p.Y.Max *= 1.08
}

func addBaseline(p *plot.Plot, s *summary.Summary) error {
	if s.BaselinePeakRSSBytes == 0 {
		return nil
	}
	y := float64(s.BaselinePeakRSSBytes) / mib
	f := plotter.NewFunction(func(float64) float64 { return y })
	f.Color = color.Gray{Y: 90}
	f.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	f.Width = vg.Points(1)
	p.Add(f)
	p.Legend.Add("baseline (worker that only connects)", f)
	return nil
}

// statBars draws one bar per strategy at the median with min–max whiskers.
func statBars(s *summary.Summary, what, ylabel string, value func(summary.Strategy) summary.Stat, scale float64) (*plot.Plot, error) {
	p := newPlot(s, what)
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	p.Legend.Top = true
	var labels []string
	var pts errPoints
	for i, st := range s.Strategies {
		labels = append(labels, st.Name)
		if st.OK == 0 {
			if peak := killedPeak(s, st.Name); peak > 0 {
				labels[i] += " (killed)"
				if what == "Peak RSS" {
					bar, err := plotter.NewBarChart(plotter.Values{peak / scale}, vg.Points(40))
					if err != nil {
						return nil, err
					}
					bar.XMin = float64(i)
					bar.Color = color.RGBA{230, 170, 170, 255}
					bar.LineStyle.Color, bar.LineStyle.Width = killColor, vg.Points(1)
					p.Add(bar)
				}
			}
			continue
		}
		v := value(st)
		bar, err := plotter.NewBarChart(plotter.Values{v.Median / scale}, vg.Points(40))
		if err != nil {
			return nil, err
		}
		bar.XMin = float64(i)
		bar.Color = colorOf(s, st.Name)
		bar.LineStyle.Width = 0
		p.Add(bar)
		pts.XYs = append(pts.XYs, plotter.XY{X: float64(i), Y: v.Median / scale})
		pts.YErrors = append(pts.YErrors, struct{ Low, High float64 }{(v.Median - v.Min) / scale, (v.Max - v.Median) / scale})
	}
	if len(pts.XYs) > 0 {
		eb, err := plotter.NewYErrorBars(pts)
		if err != nil {
			return nil, err
		}
		eb.LineStyle.Width = vg.Points(1.2)
		eb.CapWidth = vg.Points(10)
		p.Add(eb)
	}
	if len(labels) > 0 {
		p.NominalX(labels...)
		p.X.Min, p.X.Max = -0.6, float64(len(labels))-0.4
	}
	headroom(p)
	p.X.Tick.Label.Rotation = math.Pi / 8
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	p.X.Label.Text = "strategy (bar: median; whiskers: min and max of the repeats)"
	return p, nil
}

// killedPeak is the largest peak RSS a strategy's killed runs reached.
func killedPeak(s *summary.Summary, name string) float64 {
	var peak uint64
	for _, r := range s.Runs {
		if r.Strategy == name && r.Stopped() {
			peak = max(peak, r.PeakRSSBytes)
		}
	}
	return float64(peak)
}

type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

func peakRSS(s *summary.Summary) (*plot.Plot, error) {
	p, err := statBars(s, "Peak RSS", "peak RSS (MiB)", func(st summary.Strategy) summary.Stat { return st.PeakRSSBytes }, mib)
	if err != nil {
		return nil, err
	}
	if err := addBaseline(p, s); err != nil {
		return nil, err
	}
	addLimit(p, s)
	return p, nil
}

func duration(s *summary.Summary) (*plot.Plot, error) {
	return statBars(s, "Duration", "time (s)", func(st summary.Strategy) summary.Stat { return st.DurationSeconds }, 1)
}
