package report

import (
	"strings"
	"testing"

	"github.com/iterbench/iterbench/internal/summary"
)

// TestTimeTable: the worker's and the server's CPU time per strategy, and
// what is left of the run's time; SQLite's server column says where its
// work went.
func TestTimeTable(t *testing.T) {
	s := &summary.Summary{Config: summary.Config{Database: "postgres"}}
	for _, c := range []struct {
		name              string
		took, worker, srv float64
	}{{"keyset-bulk", 4, 1, 2}, {"keyset-bulk", 6, 1.5, 2.5}, {"set-based", 2, 0.1, 2.4}} {
		s.Runs = append(s.Runs, summary.Run{Strategy: c.name, Status: summary.StatusOK, Rows: 10000,
			DurationSeconds: c.took, CPUSeconds: c.worker, Server: &summary.Server{CPUSeconds: c.srv},
			ResetSeconds: c.took / 10, VerifySeconds: c.took / 4})
	}
	s.Strategies = summary.Aggregate(s.Runs, []string{"keyset-bulk", "set-based"}, nil)
	got := timeTable(s)
	for _, want := range []string{
		"| keyset-bulk | 5.00 s | 1.25 s | 2.25 s | 1.50 s | 350 ms |", // medians of two runs
		"| set-based | 2.00 s | 0.100 s | 2.40 s | 0.000 s | 250 ms |", // the CPUs overlapped
		"the probe's queries included",
		"making the table ready took 0.400 s (median) and verifying every row 1.00 s", // of 0.4, 0.6, 0.2 and 1, 1.5, 0.5
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in\n%s", want, got)
		}
	}
	s.Config.Database = "sqlite"
	if got := timeTable(s); !strings.Contains(got, "| keyset-bulk | 5.00 s | 1.25 s | in the worker |") || !strings.Contains(got, "SQLite runs inside the worker") {
		t.Errorf("SQLite:\n%s", got)
	}
	for i := range s.Runs {
		s.Runs[i].CPUSeconds = 0
	}
	if got := timeTable(s); got != "" {
		t.Errorf("no CPU time recorded: want no table, got\n%s", got)
	}
}
