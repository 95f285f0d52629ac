package report

import (
	"fmt"
	"strings"

	"github.com/iterbench/iterbench/internal/analysis"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/units"
)

// timeTable renders "where the time goes": per strategy, medians over its
// uninterrupted ok runs of the run's time, the worker's CPU time (the
// client), the server's (its container's cgroup), and the time neither
// was on a CPU (round trips, disk, locks); empty when no run recorded its
// CPU time.
func timeTable(s *summary.Summary) string {
	db := kindOf(s)
	var b strings.Builder
	server := false
	for _, r := range s.Runs {
		server = server || r.Server != nil && r.Server.CPUSeconds > 0
	}
	rows := 0
	for _, st := range s.Strategies {
		split, ok := analysis.SplitTime(s, st.Name)
		if !ok {
			continue
		}
		if rows == 0 {
			b.WriteString("Where the time goes (medians over the ok runs; chart: `time-split.png`): the worker's CPU time (user and system, getrusage) is the client's work")
			switch {
			case db == database.SQLite:
				b.WriteString("; SQLite runs inside the worker, so its work is in that column too")
			case server:
				b.WriteString("; the server's is its container's (cgroup cpuacct), every process of it, the probe's queries included, " +
					"read before the worker starts and after it ends (its start-up and connections included, where the other columns hold the strategy alone)")
				if srv, p := s.IdleServer, s.IdleProbe; srv != nil && p != nil && p.Seconds > 0 && srv.CPUSeconds > 0 {
					fmt.Fprintf(&b, " (idle, the probe alone cost the server %s of CPU a second)", units.Seconds(srv.CPUSeconds/p.Seconds))
				}
			default:
				b.WriteString("; the server's CPU time was not read (a server given by --dsn)")
			}
			b.WriteString(". \"Neither\" is the time left when both are taken from the run's: waiting on round trips, disk and locks; " +
				"where the two CPUs worked at once it is 0.\n\n")
			b.WriteString("| strategy | time | worker CPU | server CPU | neither | CPU per 1,000 rows (worker + server) |\n|---|---:|---:|---:|---:|---:|\n")
		}
		rows++
		srvCol := units.Seconds(split.ServerCPU)
		if db == database.SQLite {
			srvCol = "in the worker"
		} else if !server {
			srvCol = "—"
		}
		per := "—"
		if split.Rows > 0 {
			per = units.Millis(1000 * 1000 * (split.WorkerCPU + split.ServerCPU) / split.Rows)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", st.Name, units.Seconds(split.Seconds), units.Seconds(split.WorkerCPU), srvCol,
			units.Seconds(split.Neither), per)
	}
	if rows > 0 {
		var reset, verify, both []float64
		for _, r := range s.Runs {
			switch {
			case r.VerifySeconds > 0 && r.ResetNext:
				both = append(both, r.VerifySeconds)
			case r.VerifySeconds > 0:
				verify = append(verify, r.VerifySeconds)
			}
			if r.ResetSeconds > 0 {
				reset = append(reset, r.ResetSeconds)
			}
		}
		var parts []string
		if len(reset) > 0 {
			parts = append(parts, "making the table ready took "+units.Seconds(summary.NewStat(reset).Median)+" (median)")
		}
		if len(verify) > 0 {
			parts = append(parts, "verifying every row "+units.Seconds(summary.NewStat(verify).Median))
		}
		if len(both) > 0 {
			parts = append(parts, "verifying every row while resetting the table for the next run, at once (the read keeps its snapshot), "+
				units.Seconds(summary.NewStat(both).Median)+fmt.Sprintf(" (%d of %d runs)", len(both), len(s.Runs)))
		}
		if len(parts) > 0 {
			fmt.Fprintf(&b, "\nAround every run, not in its time: %s.\n", strings.Join(parts, " and "))
		}
	}
	return b.String()
}
