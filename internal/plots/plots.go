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

	"github.com/iterbench/iterbench/internal/analysis"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/units"
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

const mib = 1 << 20

// Charts draws every chart for a summary and its samples. A summary
// without runs gives empty charts, so that no stale chart outlives a new run.
func Charts(s *summary.Summary, samples []summary.SampleRow) ([]Chart, error) {
	return Draw(s, samples, analysis.Bounded(s), "")
}

// Draw is Charts for a summary whose bounded strategies (see
// analysis.Bounded) are known already, with the recommended strategy best
// (if not "") drawn so that the eye finds it first: a bold line on top,
// its bar outlined, "(recommended)" beside its name.
func Draw(s *summary.Summary, samples []summary.SampleRow, bounded []string, best string) ([]Chart, error) {
	all := names(s)
	// The recommended strategy is drawn last, on top of the others.
	if i := slices.Index(all, best); i >= 0 {
		all = append(slices.Delete(slices.Clone(all), i, i+1), best)
	}
	if i := slices.Index(bounded, best); i >= 0 {
		bounded = append(slices.Delete(slices.Clone(bounded), i, i+1), best)
	}
	var charts []Chart
	for _, c := range []struct {
		name, title string
		draw        func() (*plot.Plot, error)
	}{
		{"rss-over-time", "RSS over time", func() (*plot.Plot, error) { return rssOverTime(s, samples, all, best, "RSS over time", false) }},
		{"rss-over-time-bounded", "RSS over time, bounded strategies only", func() (*plot.Plot, error) {
			return rssOverTime(s, samples, bounded, best, "RSS over time, bounded strategies", true)
		}},
		{"peak-rss", "Peak RSS per strategy", func() (*plot.Plot, error) { return peakRSS(s, best) }},
		{"duration", "Duration per strategy", func() (*plot.Plot, error) { return duration(s, best) }},
		{"probe-p99-over-time", "Application p99 over time", func() (*plot.Plot, error) { return probeOverTime(s, best) }},
		{"probe-p99", "Application p99 per strategy", func() (*plot.Plot, error) { return probeP99(s, best) }},
		{"time-split", "Where the time goes", func() (*plot.Plot, error) { return timeSplit(s, best) }},
		{"lag-over-time", "Replication lag over time", func() (*plot.Plot, error) { return lagOverTime(s, best) }},
	} {
		if c.name == "lag-over-time" && !hasLag(s) {
			continue // one server
		}
		if c.name[:5] == "probe" && !hasProbe(s) {
			continue // results from before the probe
		}
		if c.name == "time-split" && !hasCPU(s) {
			continue // results from before the CPU times
		}
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

func names(s *summary.Summary) []string {
	var out []string
	for _, st := range s.Strategies {
		out = append(out, st.Name)
	}
	return out
}

func newPlot(s *summary.Summary, what string) *plot.Plot {
	p := plot.New()
	c := s.Config
	batch := fmt.Sprintf("batch %d", c.BatchSize)
	if c.BatchTargetSeconds > 0 && len(s.Strategies) == 1 && s.Strategies[0].Name == "keyset-adaptive" {
		// Its only strategy sizes its own batches: say what it aimed at.
		batch = "batches aiming at " + units.Seconds(c.BatchTargetSeconds)
	}
	p.Title.Text = fmt.Sprintf("%s: %s, %s rows, %s", what, c.Database, units.Thousands(int64(c.Rows)), batch)
	if !s.Complete {
		p.Title.Text += " (incomplete)"
	}
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(8)
	// A compact legend: it takes a column of its own beside the data.
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Legend.ThumbnailWidth = vg.Points(18)
	return p
}

// halo is a black line under the recommended strategy's own, so that it
// stands out whatever its colour.
func halo(xys plotter.XYs) (*plotter.Line, error) {
	h, err := plotter.NewLine(xys)
	if err != nil {
		return nil, err
	}
	h.Color, h.Width = color.Black, vg.Points(5.5)
	return h, nil
}

// recommended is the label of the recommended strategy.
func recommended(name string) string { return name + " (recommended)" }

// rssOverTime draws, for each named strategy, every run's RSS samples as a
// thin line and its median-peak run (or, if none finished, its first
// stopped run) bold, ending in the strategy's marker. zoom narrows the axes
// to the drawn curves: y from just below the baseline to just above the
// highest peak, x to the longest run.
func rssOverTime(s *summary.Summary, samples []summary.SampleRow, strategies []string, best, what string, zoom bool) (*plot.Plot, error) {
	p := newPlot(s, what)
	p.X.Label.Text = "time since worker start (s)"
	p.Y.Label.Text = "RSS (MiB)"
	p.X.Tick.Marker, p.Y.Tick.Marker = linearTicks{}, linearTicks{minStep: 1}
	p.Y.Min = 0
	var kills plotter.XYs
	top, right := 0.0, 0.0
	for _, name := range strategies {
		bold, ok := analysis.Representative(s, name)
		if !ok {
			continue
		}
		byRepeat := map[int]plotter.XYs{}
		for _, x := range samples {
			if x.Strategy == name {
				byRepeat[x.Repeat] = append(byRepeat[x.Repeat], plotter.XY{X: x.T, Y: float64(x.RSS) / mib})
			}
		}
		for _, r := range s.Runs {
			xys := byRepeat[r.Repeat]
			if r.Strategy != name || r.Repeat == bold.Repeat || r.Resume != nil || len(xys) == 0 {
				continue
			}
			for _, xy := range xys {
				top, right = max(top, xy.Y), max(right, xy.X)
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				return nil, err
			}
			l.Color, l.Width = fade(colorOf(s, name)), vg.Points(0.6)
			p.Add(l)
		}
		xys := byRepeat[bold.Repeat]
		if len(xys) == 0 {
			continue
		}
		for _, xy := range xys {
			top, right = max(top, xy.Y), max(right, xy.X)
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = colorOf(s, name), vg.Points(1.8)
		end, err := plotter.NewScatter(xys[len(xys)-1:])
		if err != nil {
			return nil, err
		}
		end.GlyphStyle = glyphOf(s, name)
		label := name
		var thumbs []plot.Thumbnailer
		if name == best {
			l.Width = vg.Points(3)
			end.GlyphStyle.Radius = vg.Points(6)
			label = recommended(name)
			h, err := halo(xys)
			if err != nil {
				return nil, err
			}
			p.Add(h)
			thumbs = append(thumbs, h)
		}
		p.Add(l, end)
		if bold.Stopped() {
			label += " (" + bold.Status + ")"
			kills = append(kills, xys[len(xys)-1])
		}
		p.Legend.Add(label, append(thumbs, l, end)...)
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
	if zoom {
		if base := float64(s.BaselinePeakRSSBytes) / mib; base > 0 && top > 0 {
			p.Y.Min, p.Y.Max = math.Floor(base*0.9), top+max(0.05*(top-base), 1)
		}
		if right > 0 {
			p.X.Min, p.X.Max = 0, right
		}
		return p, nil
	}
	addLimit(p, s)
	headroom(p)
	return p, nil
}

// fade is c, lighter, for the repeats drawn behind the median run.
func fade(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 110}
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
	f.Color = baselineColor
	f.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	f.Width = vg.Points(1)
	p.Add(f)
	p.Legend.Add("baseline worker", f)
	return nil
}

// statBars draws one bar per strategy at the median with min–max whiskers.
func statBars(s *summary.Summary, best, what, ylabel string, value func(summary.Strategy) summary.Stat, runValue func(summary.Run) float64,
	scale, minStep float64) (*plot.Plot, error) {
	p := newPlot(s, what)
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	p.Y.Tick.Marker = linearTicks{minStep: minStep}
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
		if st.Name == best {
			bar.LineStyle.Color, bar.LineStyle.Width = color.Black, vg.Points(3)
			labels[i] = recommended(st.Name)
		}
		p.Add(bar)
		pts.XYs = append(pts.XYs, plotter.XY{X: float64(i), Y: v.Median / scale})
		pts.YErrors = append(pts.YErrors, struct{ Low, High float64 }{(v.Median - v.Min) / scale, (v.Max - v.Median) / scale})
		// Every repeat, as a dot on the bar's right half: the same distance
		// from its middle whatever the number of bars (0.3 of a bar's
		// slot with 11 of them, the registry's full set).
		offset := 0.3 * (float64(len(s.Strategies)) + 0.2) / 11.2
		var repeats plotter.XYs
		for _, r := range s.Runs {
			if r.Strategy == st.Name && r.Status == summary.StatusOK && r.Resume == nil {
				repeats = append(repeats, plotter.XY{X: float64(i) + offset, Y: runValue(r) / scale})
			}
		}
		if len(repeats) > 0 {
			dots, err := plotter.NewScatter(repeats)
			if err != nil {
				return nil, err
			}
			dots.GlyphStyle = draw.GlyphStyle{Color: color.Black, Shape: draw.CircleGlyph{}, Radius: vg.Points(1.6)}
			if st.Name == best {
				// On the recommended bar's black outline, each dot in a
				// white ring, so that the repeats stay visible.
				rings, err := plotter.NewScatter(repeats)
				if err != nil {
					return nil, err
				}
				rings.GlyphStyle = draw.GlyphStyle{Color: color.White, Shape: draw.CircleGlyph{}, Radius: vg.Points(2.8)}
				p.Add(rings)
			}
			p.Add(dots)
		}
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
	strategyAxis(p, labels, "strategy (bar: median; whiskers: min and max; dots: each repeat)")
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

func peakRSS(s *summary.Summary, best string) (*plot.Plot, error) {
	p, err := statBars(s, best, "Peak RSS", "peak RSS (MiB)", func(st summary.Strategy) summary.Stat { return st.PeakRSSBytes },
		func(r summary.Run) float64 { return float64(r.PeakRSSBytes) }, mib, 1)
	if err != nil {
		return nil, err
	}
	if err := addBaseline(p, s); err != nil {
		return nil, err
	}
	addLimit(p, s)
	return p, nil
}

func duration(s *summary.Summary, best string) (*plot.Plot, error) {
	return statBars(s, best, "Duration", "time (s)", func(st summary.Strategy) summary.Stat { return st.DurationSeconds },
		func(r summary.Run) float64 { return r.DurationSeconds }, 1, 0)
}

// hasCPU reports whether any run of s recorded its CPU time.
func hasCPU(s *summary.Summary) bool {
	for _, st := range s.Strategies {
		if _, ok := analysis.SplitTime(s, st.Name); ok {
			return true
		}
	}
	return false
}

// timeSplit draws each strategy's median time as a stack: the worker's
// CPU time, the server's, and the rest (analysis.SplitTime). Where the
// CPUs overlapped the stack is taller than the run took, and a tick marks
// the run's time.
func timeSplit(s *summary.Summary, best string) (*plot.Plot, error) {
	p := newPlot(s, "Where the time goes")
	p.Y.Label.Text = "time (s)"
	p.Y.Min = 0
	p.Y.Tick.Marker = linearTicks{} // as the duration chart's
	server := "server CPU (its container)"
	if kind, _ := database.ParseKind(s.Config.Database); kind == database.SQLite {
		server = "server CPU (in the worker, on SQLite)"
	}
	parts := []struct {
		name string
		c    color.Color
		v    func(analysis.TimeSplit) float64
	}{
		{"worker CPU (the client)", color.RGBA{31, 119, 180, 255}, func(t analysis.TimeSplit) float64 { return t.WorkerCPU }},
		{server, color.RGBA{255, 127, 14, 255}, func(t analysis.TimeSplit) float64 { return t.ServerCPU }},
		{"neither: round trips, disk, locks", color.Gray{Y: 200}, func(t analysis.TimeSplit) float64 { return t.Neither }},
	}
	var labels []string
	var took plotter.XYs
	vals := make([]plotter.Values, len(parts))
	for i, st := range s.Strategies {
		labels = append(labels, st.Name)
		if st.Name == best {
			labels[i] = recommended(st.Name)
		}
		t, _ := analysis.SplitTime(s, st.Name)
		for j, part := range parts {
			vals[j] = append(vals[j], part.v(t))
		}
		if t.Seconds > 0 {
			took = append(took, plotter.XY{X: float64(i), Y: t.Seconds})
		}
	}
	var below *plotter.BarChart
	for j, part := range parts {
		bar, err := plotter.NewBarChart(vals[j], vg.Points(40))
		if err != nil {
			return nil, err
		}
		bar.Color, bar.LineStyle.Width = part.c, 0
		if below != nil {
			bar.StackOn(below)
		}
		below = bar
		p.Add(bar)
		p.Legend.Add(part.name, bar)
	}
	if len(took) > 0 {
		ticks, err := plotter.NewScatter(took)
		if err != nil {
			return nil, err
		}
		ticks.GlyphStyle = draw.GlyphStyle{Color: color.Black, Shape: draw.BoxGlyph{}, Radius: vg.Points(2)}
		p.Add(ticks)
		p.Legend.Add("the run's time (median)", ticks)
	}
	strategyAxis(p, labels, "strategy (medians over the ok runs)")
	return p, nil
}

// strategyAxis names the bars of a chart of one bar per strategy on its
// X axis, slanted, under label, with headroom above the highest.
func strategyAxis(p *plot.Plot, labels []string, label string) {
	if len(labels) > 0 {
		p.NominalX(labels...)
		p.X.Min, p.X.Max = -0.6, float64(len(labels))-0.4
	}
	headroom(p)
	p.X.Tick.Label.Rotation = math.Pi / 8
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	p.X.Label.Text = label
}
