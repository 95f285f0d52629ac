package report

import (
	"slices"

	"github.com/iterbench/iterbench/internal/summary"
)

// MoreRuns says which strategies of s need more runs before the
// recommendation can call the comparisons it makes: every strategy the
// recommendation ranks (and the fastest in-database one) whose time the
// Mann-Whitney U test cannot yet tell from the leader's, with the leader
// itself; none when every such comparison is called, or when nothing
// qualifies. A strategy left out for what its runs showed (a failure,
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
	for _, name := range rivals {
		if !significant(compareTimes(s, name, r.Best)) && !slices.Contains(more, name) {
			more = append(more, name)
		}
	}
	if len(more) == 0 {
		return nil
	}
	return append([]string{r.Best}, more...)
}
