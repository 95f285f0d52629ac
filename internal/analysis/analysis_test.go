package analysis

import (
	"slices"
	"strings"
	"testing"

	"github.com/iterbench/iterbench/internal/summary"
)

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
	if got := Bounded(s); !slices.Equal(got, []string{"small", "near"}) {
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
	if got := Bounded(s); !slices.Equal(got, []string{"set-based", "batch"}) {
		t.Errorf("Bounded = %v", got)
	}
}

func TestFlatness(t *testing.T) {
	names := []string{"flat", "sawtooth", "grows", "loads-then-holds"}
	s := &summary.Summary{}
	for _, n := range names {
		s.Runs = append(s.Runs, summary.Run{Strategy: n, Repeat: 1, Status: summary.StatusOK, DurationSeconds: 0.9})
	}
	s.Strategies = summary.Aggregate(s.Runs, names, nil)
	var samples []summary.SampleRow
	for i := range 100 {
		x := float64(i) / 100
		flat := uint64(100 << 20)
		if i < 25 {
			flat = uint64(i+1) * (4 << 20) // worker start-up, then the strategy's first batch
		}
		// Batches of different sizes: teeth from 40 up to 100 to 160 MiB,
		// the floor back at 40 MiB after each.
		saw := uint64(40<<20) + uint64(i%5)*uint64(10+(i/5)%7*5)<<20
		holds := uint64(min(i, 60)+1) << 20 * 4 // loads until 60 %, then holds
		samples = append(samples,
			summary.SampleRow{Strategy: "flat", Repeat: 1, T: x, RSS: flat},
			summary.SampleRow{Strategy: "sawtooth", Repeat: 1, T: x, RSS: saw},
			summary.SampleRow{Strategy: "grows", Repeat: 1, T: x, RSS: uint64(i+1) << 20},
			summary.SampleRow{Strategy: "loads-then-holds", Repeat: 1, T: x, RSS: holds})
	}
	flat, growing := Flatness(s, samples)
	if strings.Join(flat, ",") != "flat,sawtooth" || strings.Join(growing, ",") != "grows,loads-then-holds" {
		t.Errorf("flat %v, growing %v; want flat,sawtooth and grows,loads-then-holds", flat, growing)
	}
}
