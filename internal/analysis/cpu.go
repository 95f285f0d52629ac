package analysis

import (
	"github.com/iterbench/iterbench/internal/summary"
)

// TimeSplit is where a strategy's time went: medians over its
// uninterrupted ok runs of the run's time, the worker's CPU time (the
// client's work; on SQLite the database's too) and the server's (its
// container's), and what is left when both are taken from the time:
// waiting on round trips, disk and locks (0 where the two CPUs overlapped).
type TimeSplit struct {
	Seconds, WorkerCPU, ServerCPU, Neither float64
	// Rows is the median of the rows written.
	Rows float64
}

// SplitTime returns name's TimeSplit, and false when its runs recorded no
// CPU time.
func SplitTime(s *summary.Summary, name string) (TimeSplit, bool) {
	var took, worker, server, rows []float64
	for _, r := range s.Runs {
		if r.Strategy != name || r.Status != summary.StatusOK || r.Resume != nil || r.CPUSeconds == 0 {
			continue
		}
		took, worker, rows = append(took, r.DurationSeconds), append(worker, r.CPUSeconds), append(rows, float64(r.Rows))
		srv := 0.0
		if r.Server != nil {
			srv = r.Server.CPUSeconds
		}
		server = append(server, srv)
	}
	if len(took) == 0 {
		return TimeSplit{}, false
	}
	t := TimeSplit{Seconds: summary.NewStat(took).Median, WorkerCPU: summary.NewStat(worker).Median,
		ServerCPU: summary.NewStat(server).Median, Rows: summary.NewStat(rows).Median}
	t.Neither = max(0, t.Seconds-t.WorkerCPU-t.ServerCPU)
	return t, true
}
