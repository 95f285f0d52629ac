package report

import (
	"strings"
	"testing"

	"github.com/iterbench/iterbench/internal/summary"
)

// clusterRun is an ok run with a cluster's readings.
func clusterRun(name string, secs, lag float64, retries int64) summary.Run {
	r := costRun(name, secs, 5, 0.1)
	r.Retries = retries
	r.Probe.Conflicts = 2
	r.Cluster = &summary.Cluster{MaxLagSeconds: lag, CatchUpSeconds: lag / 2, OtherCPUSeconds: 1.5, FlowControlPausedShare: 0.125,
		MaxRecvQueue: 7, Writesets: 50, MaxWritesetBytes: 3 << 20, CertFailures: 3, BFAborts: 4, VerifiedOn: "node3", RowsVerified: 50000}
	return r
}

// TestLagRule: on a cluster, a strategy whose runs' largest lag is above
// --max-lag is ranked after those that pass, and the report says how far
// behind the other node fell; on one server lag is no rule.
func TestLagRule(t *testing.T) {
	runs := []summary.Run{
		clusterRun("keyset-bulk", 1, 0.2, 0),
		clusterRun("keyset-bulk", 1.1, 0.3, 0),
		clusterRun("parallel-keyset", 0.5, 2.5, 0), // fastest, but the standby lags
		clusterRun("parallel-keyset", 0.6, 3.5, 0),
		clusterRun("keyset-bulk", 1.2, 9, 0), // their watch failed in part: not counted
		clusterRun("keyset-bulk", 1.3, 9, 0),
	}
	runs[4].Cluster.Error = "during the run: the standby's replay position: connection refused"
	runs[5].Cluster.Error = runs[4].Cluster.Error
	s := costSummary("postgres", 0, runs...)
	s.Config.Topology, s.Config.MaxLagSeconds = topologyReplica, 1
	s.Config.Nodes = []string{"primary postgres://x", "standby postgres://y"}
	r := Recommend(s, nil, nil)
	if r.Best != "keyset-bulk" {
		t.Errorf("Best = %q, want keyset-bulk: parallel-keyset made the standby lag 3 s", r.Best)
	}
	if want := "the standby fell up to 3.00 s behind beside it (median of its runs' largest lag), more than the --max-lag of 1.00 s"; !strings.Contains(r.Costs["parallel-keyset"], want) {
		t.Errorf("costs %q, want %q", r.Costs["parallel-keyset"], want)
	}
	if !strings.Contains(r.Verdict(), "Recommendation on a primary with a hot standby") {
		t.Errorf("the verdict does not say on which servers:\n%s", r.Verdict())
	}
	// Every run of the fastest unread: its lag is unknown, not under the limit.
	for i := range s.Runs[2:4] {
		s.Runs[2+i].Cluster.Error = "during the run: the standby's replay position: timeout"
	}
	if r := Recommend(s, nil, nil); r.Best != "keyset-bulk" || !strings.Contains(r.Costs["parallel-keyset"], "its lag is unknown") {
		t.Errorf("with parallel-keyset's lag unread: Best %q, costs %q", r.Best, r.Costs["parallel-keyset"])
	}
	if got := clusterTable(s); !strings.Contains(got, "| parallel-keyset | the other nodes could not be read: during the run") {
		t.Errorf("the section hides the unread runs:\n%s", got)
	}
	s.Config.Topology = "single"
	if r := Recommend(s, nil, nil); r.Best != "parallel-keyset" {
		t.Errorf("on one server Best = %q, want parallel-keyset: lag is no rule there", r.Best)
	}
}

func TestClusterTable(t *testing.T) {
	s := costSummary("mariadb", 0, clusterRun("keyset-bulk", 1, 0.2, 6), clusterRun("set-based-once", 0.4, 0, 0))
	s.Runs[1].Status, s.Runs[1].Error, s.Runs[1].Cluster = summary.StatusError, "update every row: Error 1213 (40001): Deadlock found (aborted for a conflict 10 times in a row)", nil
	s.Runs[1].Retries = 9
	s.Strategies = summary.Aggregate(s.Runs, []string{"keyset-bulk", "set-based-once"}, nil)
	s.Config.Topology, s.Config.MaxLagSeconds, s.Config.ProbeNode = topologyGalera, 1, "node2"
	s.Config.Nodes = []string{"node1 a", "node2 b", "node3 c"}
	got := clusterTable(s)
	for _, want := range []string{
		"on a Galera cluster (3 nodes watched), the worker writing to the first node",
		"read and wrote through node2",
		"| keyset-bulk | 0.200 s | 0.100 s | 1.50 s | 12.5 % | 7 | 50 | 3.0 MiB | 3 | 4 | 6 | 2 | 50,000 (0 wrong) |",
		"| set-based-once | error after 9 retries: update every row: Error 1213 (40001): Deadlock found (aborted for a conflict 10 times in a row) |",
		"verified every row on node3 too",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the section lacks %q:\n%s", want, got)
		}
	}
	s.Config.Topology = ""
	if clusterTable(s) != "" {
		t.Error("a section on one server")
	}
}

// TestFailedEveryTime: the same failure in every run is said once, with
// the retries before it.
func TestFailedEveryTime(t *testing.T) {
	var runs []summary.Run
	for range 3 {
		r := costRun("set-based-once", 9, 5, 0.1)
		r.Status, r.Error, r.Retries = summary.StatusError, "update every row: Error 1213 (40001): Deadlock found", 9
		runs = append(runs, r)
	}
	s := costSummary("mariadb", 0, append(runs, costRun("keyset-bulk", 1, 5, 0.1))...)
	want := "3 of 3 runs did not finish: each error after 9 retries (update every row: Error 1213 (40001): Deadlock found)"
	if got := failures(s, "set-based-once"); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
