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
// by more runs. It is the rule of sequential repeats (bench.Config.Decide).
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
	for _, st := range s.Strategies {
		if st.Roles.InDatabase && st.OK == st.Runs && st.OK > 0 {
			rivals = append(rivals, st.Name)
			break
		}
	}
	var more []string
	waiting := false
	lead := durations(s, r.Best)
	for _, name := range rivals {
		if significant(compareTimes(s, name, r.Best)) || slices.Contains(more, name) {
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
	if !waiting {
		return nil
	}
	return append([]string{r.Best}, more...)
}

// separated reports whether every value of a lies on the same side of
// every value of b.
func separated(a, b []float64) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	return slices.Min(a) > slices.Max(b) || slices.Max(a) < slices.Min(b)
}
