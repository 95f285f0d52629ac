package analysis

import (
	"math"
	"testing"

	"github.com/iterbench/iterbench/internal/summary"
)

func projRun(name string, rep int, peakMiB, secs float64) summary.Run {
	return summary.Run{Strategy: name, Repeat: rep, Status: summary.StatusOK, PeakRSSBytes: uint64(peakMiB * (1 << 20)), DurationSeconds: secs}
}

func TestProject(t *testing.T) {
	s := &summary.Summary{Config: summary.Config{Rows: 20000, PayloadBytes: 1024}}
	s.Strategies = []summary.Strategy{{Name: "load-all"}, {Name: "keyset-bulk"}, {Name: "paging"}, {Name: "broken"}, {Name: "parallel"}}
	s.Projection = &summary.Projection{TargetRows: 2_000_000, Rows: 5000}
	for rep := 1; rep <= 4; rep++ {
		d := float64(rep) / 10 // spread between repeats
		s.Runs = append(s.Runs, projRun("load-all", rep, 60+d, 2+d/10), projRun("keyset-bulk", rep, 25+d, 1+d/10),
			projRun("paging", rep, 24+d, 16+d/10), projRun("broken", rep, 20, 1), projRun("parallel", rep, 45+d, 1+d/10))
		s.Projection.Runs = append(s.Projection.Runs, projRun("load-all", rep, 24+d, 0.5+d/40), projRun("keyset-bulk", rep, 20+d, 0.25+d/40),
			projRun("paging", rep, 24-d, 1+d/40), projRun("parallel", rep, 42+d, 0.25+d/40))
	}
	ps := Project(s)
	if len(ps) != 5 {
		t.Fatalf("%d projections, want 5", len(ps))
	}
	byName := map[string]Projected{}
	for _, p := range ps {
		byName[p.Name] = p
	}
	la := byName["load-all"]
	// 36 MiB more for 15,000 more rows: about 2,516 bytes a row.
	if !la.Grows || math.Abs(la.BytesPerRow-36*(1<<20)/15000.0) > 1 {
		t.Errorf("load-all: grows %v at %.0f B/row, want growth of about 2,516 B/row", la.Grows, la.BytesPerRow)
	}
	if want := 60.25*(1<<20) + la.BytesPerRow*1_980_000; math.Abs(la.PeakMid-want) > 1 {
		t.Errorf("load-all at 2M rows: %.0f, want %.0f", la.PeakMid, want)
	}
	limit := 512.0 * (1 << 20)
	if la.Fate(limit, 0.2) != Killed {
		t.Errorf("load-all under 512 MiB at 2M rows: %v, want killed (low estimate %.0f MiB)", la.Fate(limit, 0.2), la.PeakLow/(1<<20))
	}
	// keyset-bulk's peak rose from 20 to 25 MiB (a worker warming up) but
	// stays within a bounded strategy's allowance: not growth with the table.
	kb := byName["keyset-bulk"]
	if kb.GrowthP >= AppAlpha || kb.Grows || kb.PeakMid != kb.Peak.Median || kb.Fate(limit, 0.2) != Fits {
		t.Errorf("keyset-bulk: p %.3f, grows %v, projected %.0f (measured %.0f), fate %v; want a significant rise that is no growth, flat and fitting",
			kb.GrowthP, kb.Grows, kb.PeakMid, kb.Peak.Median, kb.Fate(limit, 0.2))
	}
	if math.Abs(kb.Exponent-1) > 0.01 || math.Abs(kb.SecondsMid-kb.Seconds.Median*100) > 1e-6 {
		t.Errorf("keyset-bulk: time exponent %.2f, %.1f s at 2M rows; want linear: 100 × %.2f s", kb.Exponent, kb.SecondsMid, kb.Seconds.Median)
	}
	// OFFSET paging: 16× the time for 4× the rows, time ∝ rows².
	if pg := byName["paging"]; math.Abs(pg.Exponent-2) > 0.01 || pg.SecondsMid < 1e4*pg.Seconds.Median*0.97 {
		t.Errorf("paging: exponent %.2f, %.0f s at 2M rows; want quadratic", pg.Exponent, pg.SecondsMid)
	}
	// parallel: above a bounded strategy's allowance and significantly
	// higher on the larger table, but by 210 bytes a row, a fifth of a
	// document: warming up, not holding the table.
	if pa := byName["parallel"]; !pa.Unbounded || pa.GrowthP >= AppAlpha || pa.Grows {
		t.Errorf("parallel: unbounded %v, p %.3f, grows %v at %.0f B/row; want no growth with the table", pa.Unbounded, pa.GrowthP, pa.Grows, pa.BytesPerRow)
	}
	if !byName["broken"].Failed {
		t.Error("broken has no run on the small table, yet it was projected")
	}
	// The second table may be the larger one: the same projection.
	swapped := *s
	swapped.Config.Rows, swapped.Runs = 5000, s.Projection.Runs
	swapped.Projection = &summary.Projection{TargetRows: 2_000_000, Rows: 20000, Runs: s.Runs}
	if sw := Project(&swapped); len(sw) != 5 || sw[0].Name != "load-all" || sw[0].PeakMid != la.PeakMid || sw[0].Rows != 20000 {
		t.Errorf("with the larger table second: %+v, want the same load-all projection", sw)
	}
	if s.Projection.TargetRows = 10000; Project(s) != nil {
		t.Error("a target below the measured rows was projected")
	}
}

func TestGrowthVisible(t *testing.T) {
	s := &summary.Summary{Config: summary.Config{Rows: 5000, PayloadBytes: 1024}, BaselinePeakRSSBytes: 13 << 20}
	s.Strategies = []summary.Strategy{{Name: "a", OK: 1, PeakRSSBytes: summary.Stat{Median: 20 << 20}}}
	if GrowthVisible(s) {
		t.Error("5,000 rows of 1 KiB (4.9 MiB) against an allowance of 24 MiB: growth is not visible")
	}
	if s.Config.Rows = 50000; !GrowthVisible(s) {
		t.Error("50,000 rows of 1 KiB (49 MiB): growth is visible")
	}
}
