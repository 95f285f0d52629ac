package report

import (
	"slices"

	"github.com/iterbench/iterbench/internal/summary"
)

// MoreRuns says which strategies of s need more runs before the
// recommendation can call the comparisons it makes: the leader, and every
// strategy the recommendation ranks (and the fastest in-database one) whose
// time the Mann-Whitney U test cannot yet tell from the leader's and whose
// runs overlap the leader's (one all of whose runs are slower, or faster,
// waits for the leader's runs alone); none when every such comparison is
// called, or when nothing qualifies. A strategy left out for what its runs showed (a failure,
// memory that grows, a peak far above the others') is decided by that, not
// by more runs, and so is one screened out after its first run (Screen).
// A strategy's driver form and its GORM form run on together until the
// test tells their times apart (layerTable). It is the rule of sequential repeats (bench.Config.Decide).
func MoreRuns(s *summary.Summary, samples []summary.SampleRow) []string {
	r := Recommend(s, samples, nil)
	if r.Best == "" {
		return nil
	}
	var rivals []string
	for _, name := range r.Ranked {
		if name != r.Best {
			rivals = append(rivals, name)
		}
	}
	screened := map[string]bool{}
	for _, st := range s.Strategies {
		screened[st.Name] = st.Screened
	}
	var inDB *summary.Strategy
	for i, st := range s.Strategies {
		if st.Roles.InDatabase && st.OK == st.Runs && st.OK > 0 && !st.Screened &&
			(inDB == nil || st.DurationSeconds.Median < inDB.DurationSeconds.Median) {
			inDB = &s.Strategies[i]
		}
	}
	if inDB != nil {
		rivals = append(rivals, inDB.Name)
	}
	var more []string
	waiting := false
	lead := durations(s, r.Best)
	for _, name := range rivals {
		if screened[name] || significant(compareTimes(s, name, r.Best)) || slices.Contains(more, name) {
			continue
		}
		waiting = true
		// A rival whose every run is slower (or faster) than every run of
		// the leader's needs no run of its own: the leader's next runs are
		// what the test lacks (3 runs against 5 are enough, p = 0.036).
		if !separated(durations(s, name), lead) {
			more = append(more, name)
		}
	}
	if waiting {
		more = append([]string{r.Best}, more...)
	}
	// A driver form and its GORM form, until the test tells them apart:
	// what GORM costs is reported with its p-value.
	for _, st := range s.Strategies {
		of, ok := s.Lookup(st.Roles.LayerOf)
		if st.Roles.LayerOf == "" || !ok || st.OK == 0 || st.OK != st.Runs || of.OK == 0 || of.OK != of.Runs ||
			st.Screened || of.Screened || significant(compareTimes(s, of.Name, st.Name)) {
			continue
		}
		for _, name := range []string{of.Name, st.Name} {
			if !slices.Contains(more, name) {
				more = append(more, name)
			}
		}
	}
	return more
}

// separated reports whether every value of a lies on the same side of
// every value of b.
func separated(a, b []float64) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	return slices.Min(a) > slices.Max(b) || slices.Max(a) < slices.Min(b)
}

// DefaultScreen is --screen: after the first repeat, a strategy more than
// this many times as slow as the leader runs no more.
const DefaultScreen = 2.0

// Screen returns the rule that ends, after one run, the strategies out of
// contention: those whose every run took more than factor times as long
// as the leader's slowest (the strategy the recommendation picks from the
// runs so far). A strategy with a failed run is not screened: what failed
// may not fail again. Run-to-run noise is a few tens of percent at most,
// so with a factor of 2 (DefaultScreen) more runs would not bring one
// level with the leader; they would only cost time.
func Screen(factor float64) func(s *summary.Summary, samples []summary.SampleRow) []string {
	return func(s *summary.Summary, samples []summary.SampleRow) []string {
		r := Recommend(s, samples, nil)
		lead := durations(s, r.Best)
		if len(lead) == 0 {
			return nil
		}
		limit := factor * slices.Max(lead)
		var out []string
		for _, st := range s.Strategies {
			d := durations(s, st.Name)
			if st.Name == r.Best || st.OK == 0 || st.OK != st.Runs || len(d) == 0 {
				continue
			}
			if slices.Min(d) > limit {
				out = append(out, st.Name)
			}
		}
		return out
	}
}
