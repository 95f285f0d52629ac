package main

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/iterbench/iterbench/internal/report"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/units"
)

// printTable prints a short table of the results.
func printTable(w io.Writer, s *summary.Summary, dir string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "strategy\tmedian peak RSS\tmedian time\trows/s\truns ok\t\n")
	for _, st := range s.Strategies {
		if st.OK == 0 {
			fmt.Fprintf(tw, "%s\t–\t–\t–\t0/%d %s\t\n", st.Name, st.Runs, failedStatus(s, st.Name))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t\n", st.Name, units.MiB(st.PeakRSSBytes.Median),
			units.Seconds(st.DurationSeconds.Median), units.Thousands(int64(math.Round(st.RowsPerSecond))), st.OK, st.Runs)
	}
	tw.Flush()
	fmt.Fprintf(w, "baseline %s; results in %s (%s)\n", units.MiB(float64(s.BaselinePeakRSSBytes)), dir, report.File)
}

// failedStatus names the status of a strategy's first run that was not ok.
func failedStatus(s *summary.Summary, name string) string {
	for _, r := range s.Runs {
		if r.Strategy == name && r.Status != summary.StatusOK {
			return r.Status
		}
	}
	return ""
}
