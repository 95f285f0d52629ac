package analysis

import (
	"math"
	"testing"

	"github.com/iterbench/iterbench/internal/summary"
)

func TestFisherGreater(t *testing.T) {
	// The hypergeometric sums worked by hand: (10, 2, 3, 15) is
	// (C(13,10)·C(17,2) + C(13,11)·C(17,1) + C(13,12)) / C(30,12) = 40235/86493225.
	for _, c := range []struct {
		a, b, c, d int
		want       float64
	}{
		{3, 1, 1, 3, 17.0 / 70},
		{10, 2, 3, 15, 40235.0 / 86493225},
		{0, 5, 0, 5, 1},
		{5, 0, 0, 5, 1.0 / 252},
		{1, 23, 0, 20, 24.0 / 44},
	} {
		if got := fisherGreater(c.a, c.b, c.c, c.d); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("fisherGreater(%d, %d, %d, %d) = %.7f, want %.7f", c.a, c.b, c.c, c.d, got, c.want)
		}
	}
}

func TestAppHarm(t *testing.T) {
	windows := func(strategy string, repeat, above, n int) []summary.ProbeWindow {
		var ws []summary.ProbeWindow
		for i := range n {
			p99 := 2.0
			if i < above {
				p99 = 400
			}
			ws = append(ws, summary.ProbeWindow{Strategy: strategy, Repeat: repeat, T: float64(i) / 4, Ops: 50, P99Ms: p99})
		}
		return ws
	}
	s := &summary.Summary{}
	s.ProbeWindows = append(s.ProbeWindows, windows(summary.IdleStrategy, 0, 0, 20)...)
	s.ProbeWindows = append(s.ProbeWindows, windows("stall", 1, 9, 10)...)
	s.ProbeWindows = append(s.ProbeWindows, windows("stall", 2, 8, 10)...)
	s.ProbeWindows = append(s.ProbeWindows, windows("spike", 1, 1, 10)...)
	s.ProbeWindows = append(s.ProbeWindows, windows("spike", 2, 0, 10)...)
	s.ProbeWindows = append(s.ProbeWindows, windows("killed", 3, 10, 10)...) // a repeat not asked for
	all := map[int]bool{1: true, 2: true}
	stall := AppHarmOf(s, "stall", all, 50)
	if stall.Above != 17 || stall.Windows != 20 || stall.IdleWindows != 20 || !stall.Significant() {
		t.Errorf("stall: %+v, want 17 of 20 above and significant", stall)
	}
	spike := AppHarmOf(s, "spike", all, 50)
	if spike.Above != 1 || spike.Windows != 20 || spike.Significant() {
		t.Errorf("spike: %+v, want 1 of 20 above, not significant", spike)
	}
	if k := AppHarmOf(s, "killed", all, 50); k.Windows != 0 || k.Significant() {
		t.Errorf("killed: %+v, want no window counted", k)
	}
}
