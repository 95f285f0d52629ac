package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/iterbench/iterbench/internal/summary"
)

// palette gives each strategy of the registry (strategies.All, in order,
// as the results record it) its colour on every chart: Tableau 10 without its red, which marks kills
// and limits only.
var palette = []color.RGBA{
	{31, 119, 180, 255},  // blue
	{255, 127, 14, 255},  // orange
	{44, 160, 44, 255},   // green
	{148, 103, 189, 255}, // purple
	{140, 86, 75, 255},   // brown
	{227, 119, 194, 255}, // pink
	{127, 127, 127, 255}, // grey
	{188, 189, 34, 255},  // olive
	{23, 190, 207, 255},  // cyan
	{0, 0, 128, 255},     // navy
	{128, 128, 0, 255},
	{0, 128, 128, 255},
	{102, 51, 0, 255},  // dark brown
	{153, 0, 153, 255}, // magenta: keyset-bulk@driver
	{0, 100, 0, 255},   // dark green: keyset-pipelined@driver
}

// markers gives each strategy of the registry its marker; the cross is
// left for kills.
var markers = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{},
	draw.PyramidGlyph{}, draw.PlusGlyph{}, diamondGlyph{filled: true}, diamondGlyph{}, invertedTriangleGlyph{filled: true},
	invertedTriangleGlyph{}, hexagonGlyph{}, hexagonGlyph{open: true}, pentagonGlyph{}, pentagonGlyph{open: true},
}

// killColor marks kills and memory limits, and nothing else.
var killColor = color.RGBA{214, 39, 40, 255}

// baselineColor draws the baseline worker.
var baselineColor = color.Gray{Y: 90}

// index is a strategy's place in the registry, as the results record it
// (summary.Roles.Order); a strategy s does not hold comes after all.
func index(s *summary.Summary, name string) int {
	st, ok := s.Lookup(name)
	if !ok {
		return len(palette)
	}
	return st.Roles.Order
}

// colorOf is the colour of a strategy, the same on every chart of every run.
func colorOf(s *summary.Summary, name string) color.Color {
	return palette[index(s, name)%len(palette)]
}

// markerOf is the marker of a strategy, the same everywhere.
func markerOf(s *summary.Summary, name string) draw.GlyphDrawer {
	return markers[index(s, name)%len(markers)]
}

// glyphOf is a strategy's marker in its colour.
func glyphOf(s *summary.Summary, name string) draw.GlyphStyle {
	return draw.GlyphStyle{Color: colorOf(s, name), Shape: markerOf(s, name), Radius: vg.Points(3.5)}
}

// diamondGlyph is a square standing on a corner.
type diamondGlyph struct{ filled bool }

// DrawGlyph implements draw.GlyphDrawer.
func (g diamondGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius * 1.3
	pts := []vg.Point{{X: pt.X, Y: pt.Y + r}, {X: pt.X + r, Y: pt.Y}, {X: pt.X, Y: pt.Y - r}, {X: pt.X - r, Y: pt.Y}, {X: pt.X, Y: pt.Y + r}}
	polygon(c, sty, pts, g.filled)
}

// invertedTriangleGlyph is a triangle standing on its tip.
type invertedTriangleGlyph struct{ filled bool }

// DrawGlyph implements draw.GlyphDrawer.
func (g invertedTriangleGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius * 1.2
	pts := []vg.Point{{X: pt.X - r, Y: pt.Y + r*0.6}, {X: pt.X + r, Y: pt.Y + r*0.6}, {X: pt.X, Y: pt.Y - r}, {X: pt.X - r, Y: pt.Y + r*0.6}}
	polygon(c, sty, pts, g.filled)
}

func polygon(c *draw.Canvas, sty draw.GlyphStyle, pts []vg.Point, filled bool) {
	if filled {
		c.FillPolygon(sty.Color, pts)
		return
	}
	c.StrokeLines(draw.LineStyle{Color: sty.Color, Width: vg.Points(0.8)}, pts)
}

// hexagonGlyph is a hexagon, filled or not.
type hexagonGlyph struct{ open bool }

// DrawGlyph implements draw.GlyphDrawer.
func (g hexagonGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius * 1.15
	pts := make([]vg.Point, 0, 7)
	for i := range 7 {
		a := math.Pi / 3 * float64(i)
		pts = append(pts, vg.Point{X: pt.X + r*vg.Length(math.Cos(a)), Y: pt.Y + r*vg.Length(math.Sin(a))})
	}
	polygon(c, sty, pts, !g.open)
}

// pentagonGlyph is a pentagon, point up, filled or not.
type pentagonGlyph struct{ open bool }

// DrawGlyph implements draw.GlyphDrawer.
func (g pentagonGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius * 1.15
	pts := make([]vg.Point, 0, 6)
	for i := range 6 {
		a := math.Pi/2 + 2*math.Pi/5*float64(i)
		pts = append(pts, vg.Point{X: pt.X + r*vg.Length(math.Cos(a)), Y: pt.Y + r*vg.Length(math.Sin(a))})
	}
	polygon(c, sty, pts, !g.open)
}
