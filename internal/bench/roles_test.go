package bench

import (
	"fmt"
	"testing"

	"github.com/iterbench/iterbench/internal/summary"
)

// TestFillRoles: a summary written before roles were recorded gets the
// registry's; one that recorded them keeps its own.
func TestFillRoles(t *testing.T) {
	old := &summary.Summary{Strategies: []summary.Strategy{{Name: "keyset-bulk"}, {Name: "set-based"}}}
	if !FillRoles(old) || !old.Strategies[0].Roles.Resumable || old.Strategies[0].Roles.BulkOf != "keyset" ||
		!old.Strategies[1].Roles.InDatabase {
		t.Errorf("old summary: %+v, want the registry's roles", old.Strategies)
	}
	recorded := &summary.Summary{Strategies: []summary.Strategy{{Name: "keyset-bulk", Roles: summary.Roles{Order: 3}}}}
	if FillRoles(recorded) || recorded.Strategies[0].Roles != (summary.Roles{Order: 3}) {
		t.Errorf("recorded roles changed: %+v", recorded.Strategies[0].Roles)
	}
}

// TestStepRate checks --probe-step's schedule: the probe's rate times the
// step from a third of the rows, back at two thirds, progress passed on.
func TestStepRate(t *testing.T) {
	var rates []float64
	var seen []int64
	cfg := Config{Rows: 300, ProbeRate: 100, ProbeStep: 4}
	f := stepRate(cfg, func(r float64) { rates = append(rates, r) }, func(n int64) { seen = append(seen, n) })
	for _, n := range []int64{50, 99, 100, 150, 199, 250, 300} {
		f(n)
	}
	if fmt.Sprint(rates) != "[400 100]" || len(seen) != 7 {
		t.Errorf("rates set %v, progress %v; want [400 100] and every report", rates, seen)
	}
	// A report that jumps past both thirds ends at the probe's own rate.
	rates = nil
	f = stepRate(cfg, func(r float64) { rates = append(rates, r) }, nil)
	f(10)
	f(250)
	if fmt.Sprint(rates) != "[100]" {
		t.Errorf("rates set %v, want [100]", rates)
	}
	cfg.ProbeStep = 1
	if stepRate(cfg, func(float64) { t.Error("a step of 1 set a rate") }, nil) != nil {
		t.Error("no step: want progress itself (nil)")
	}
}
