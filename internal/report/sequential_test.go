package report

import (
	"fmt"
	"testing"

	"github.com/iterbench/iterbench/internal/summary"
)

// TestMoreRuns: after three runs each nothing is called, and a strategy
// slower in every run waits for the leader's runs alone; once the leader
// has five, that strategy is called, and only the leader and its close
// rival run on; a strategy ruled out by its memory never needs more.
func TestMoreRuns(t *testing.T) {
	runs := func(name string, peak float64, secs ...float64) []summary.Run {
		var out []summary.Run
		for i, s := range secs {
			out = append(out, fakeRun(name, i+1, peak, s))
		}
		return out
	}
	var all []summary.Run
	all = append(all, runs("keyset-bulk", 36, 1.0, 1.1, 1.2)...)
	all = append(all, runs("cursor-bulk", 37, 1.05, 1.15, 1.12)...)
	all = append(all, runs("cursor", 35, 9, 9.5, 9.2)...)
	all = append(all, runs("load-all", 300, 0.5, 0.6, 0.55)...) // far above the others' memory
	s := fakeSummary(50000, 0, all...)
	if got := fmt.Sprint(MoreRuns(s, nil)); got != "[keyset-bulk cursor-bulk]" {
		t.Errorf("after 3 runs each: %s, want the leader and its overlapping rival (3+3 cannot be called; cursor waits for the leader's runs)", got)
	}
	all = append(all, fakeRun("keyset-bulk", 4, 36, 1.05), fakeRun("keyset-bulk", 5, 36, 1.15),
		fakeRun("cursor-bulk", 4, 37, 1.1), fakeRun("cursor-bulk", 5, 37, 1.08))
	s = fakeSummary(50000, 0, all...)
	if got := fmt.Sprint(MoreRuns(s, nil)); got != "[keyset-bulk cursor-bulk]" {
		t.Errorf("leader at 5 runs: %s, want cursor 3 of 9 s called slower, cursor-bulk not", got)
	}
	// Without the close rival, every comparison is called: no more runs.
	var called []summary.Run
	for _, r := range all {
		if r.Strategy != "cursor-bulk" {
			called = append(called, r)
		}
	}
	if got := MoreRuns(fakeSummary(50000, 0, called...), nil); got != nil {
		t.Errorf("every comparison called: %v, want none", got)
	}
	s = fakeSummary(50000, 0, runs("cursor", 35, 9, 9.5, 9.2, 9.1, 9.3)...)
	if got := MoreRuns(s, nil); got != nil {
		t.Errorf("one strategy: %v, want none", got)
	}
}

// TestScreen: after one run each, a strategy more than the factor times
// as slow as the leader's run is screened out, one just under it is not,
// nor is the leader, nor one whose run failed; and MoreRuns then waits
// for no screened strategy.
func TestScreen(t *testing.T) {
	failed := fakeRun("keyset", 1, 35, 50)
	failed.Status = summary.StatusError
	s := fakeSummary(50000, 0,
		fakeRun("keyset-bulk", 1, 36, 1.0),
		fakeRun("cursor-bulk", 1, 37, 1.9), // under 2×
		fakeRun("cursor", 1, 35, 2.1),      // over 2×
		fakeRun("paging", 1, 35, 6),
		failed)
	if got := fmt.Sprint(Screen(2)(s, nil)); got != "[cursor paging]" {
		t.Errorf("Screen(2) = %s, want [cursor paging]", got)
	}
	if got := Screen(10)(s, nil); got != nil {
		t.Errorf("Screen(10) = %v, want none", got)
	}
	// The leader at 3 runs and a rival run once: unscreened, the rival
	// waits for the leader's runs (1+3 cannot be called); screened, it
	// waits for nothing.
	s = fakeSummary(50000, 0, fakeRun("keyset-bulk", 1, 36, 1.0), fakeRun("keyset-bulk", 2, 36, 1.1), fakeRun("keyset-bulk", 3, 36, 1.05),
		fakeRun("cursor", 1, 35, 9))
	if got := fmt.Sprint(MoreRuns(s, nil)); got != "[keyset-bulk]" {
		t.Errorf("MoreRuns, cursor not screened = %s, want the leader", got)
	}
	s.Strategies[1].Screened = true
	if got := MoreRuns(s, nil); got != nil {
		t.Errorf("MoreRuns, cursor screened = %v, want none", got)
	}
}

// TestMoreRunsLayers: a driver form and its GORM form run on until the
// test tells them apart, even when the recommendation is called.
func TestMoreRunsLayers(t *testing.T) {
	var all []summary.Run
	for i, secs := range []float64{1.0, 1.1, 1.05} {
		all = append(all, fakeRun("keyset-bulk", i+1, 36, secs), fakeRun("keyset-bulk@driver", i+1, 36, secs-0.2), fakeRun("cursor", i+1, 35, 9+secs))
	}
	s := fakeSummary(50000, 0, all...)
	if got := fmt.Sprint(MoreRuns(s, nil)); got != "[keyset-bulk keyset-bulk@driver]" {
		t.Errorf("3+3 runs: %s, want the two layers of keyset-bulk", got)
	}
	for i, secs := range []float64{1.02, 1.08} {
		all = append(all, fakeRun("keyset-bulk", i+4, 36, secs), fakeRun("keyset-bulk@driver", i+4, 36, secs-0.2))
	}
	if got := MoreRuns(fakeSummary(50000, 0, all...), nil); got != nil {
		t.Errorf("5+5 runs, every run of the driver form faster: %v, want none", got)
	}
}
