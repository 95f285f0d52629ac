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
