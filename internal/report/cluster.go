package report

import (
	"fmt"
	"strings"

	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/units"
)

// Topologies as the results record them (package cluster's names; the
// report reads only what the results record).
const (
	topologyReplica = "replica"
	topologyGalera  = "galera"
)

// onCluster reports whether s was measured on more than one server.
func onCluster(s *summary.Summary) bool {
	t := s.Config.Topology
	return t == topologyReplica || t == topologyGalera
}

// topologyWords describes s's topology for a sentence ("on one server").
func topologyWords(s *summary.Summary) string {
	switch s.Config.Topology {
	case topologyReplica:
		return "on a primary with a hot standby (streaming replication), the worker writing to the primary"
	case topologyGalera:
		return fmt.Sprintf("on a Galera cluster (%d nodes watched), the worker writing to the first node", len(s.Config.Nodes))
	}
	return ""
}

// clusterRuns returns the ok runs of name with a cluster's readings, all
// read: a run whose watch failed in part would count as no lag.
func clusterRuns(s *summary.Summary, name string) []summary.Run {
	var out []summary.Run
	for _, r := range okRuns(s, name) {
		if r.Cluster != nil && r.Cluster.Error == "" {
			out = append(out, r)
		}
	}
	return out
}

// lagReason returns why name fails the lag rule (--max-lag): the median of
// its runs' largest lag is above the limit; "" when it passes or no lag
// was read.
func lagReason(s *summary.Summary, name string) string {
	limit := s.Config.MaxLagSeconds
	runs := clusterRuns(s, name)
	if !onCluster(s) || limit <= 0 {
		return ""
	}
	if len(runs) == 0 {
		// A node too busy to answer is what the rule is for: unknown is
		// not under the limit.
		if e := watchError(s, name); e != "" {
			return "the other nodes could not be read beside it, so its lag is unknown (" + e + ")"
		}
		return ""
	}
	lag := median(runs, func(r summary.Run) float64 { return r.Cluster.MaxLagSeconds })
	if lag <= limit {
		return ""
	}
	node := "the standby"
	if s.Config.Topology == topologyGalera {
		node = "the slowest other node"
	}
	return fmt.Sprintf("%s fell up to %s behind beside it (median of its runs' largest lag), more than the --max-lag of %s",
		node, units.Seconds(lag), units.Seconds(limit))
}

// clusterTable is the report's section on the other nodes.
func clusterTable(s *summary.Summary) string {
	if !onCluster(s) {
		return ""
	}
	var b strings.Builder
	c := s.Config
	b.WriteString("## Beyond one server\n\n")
	fmt.Fprintf(&b, "Measured %s: %s. ", topologyWords(s), strings.Join(c.Nodes, "; "))
	galera := c.Topology == topologyGalera
	if galera {
		b.WriteString("The probe (if any) read and wrote through " + orNone([]string{c.ProbeNode}) + ", so that its conflicts with the backfill show " +
			"as transactions aborted on one node or the other: the probe's are counted under \"app aborted\", the backfill's own, which it tried again, under \"backfill retries\". " +
			"Lag is the age of the oldest writeset the slowest node had not yet applied (each node's `wsrep_last_committed` against when the first node reached it, read every 100 ms). " +
			"Flow control is the share of the run's time replication was paused (`wsrep_flow_control_paused_ns`, the largest of the nodes): every writer of the cluster waited meanwhile. " +
			"The largest writeset is the largest mean over one reading's interval, exact where one writeset was replicated in it. " +
			"The other nodes' CPU includes the probe's own work on node2.\n\n")
	} else {
		b.WriteString("The probe (if any) read from the standby and wrote to the primary; \"stale p99\" is how far behind the rows it read were " +
			"(at each read, the age of the last transaction the standby had replayed, 0 when it had replayed all it had received). " +
			"Lag is the age of the oldest log the standby had not yet replayed (its `pg_last_wal_replay_lsn()` against when the primary's `pg_current_wal_lsn()` passed it, read every 100 ms), " +
			"and \"lag (log)\" the log between the two. The other nodes' CPU includes the probe's reads on the standby.\n\n")
	}
	fmt.Fprintf(&b, "After every run iterbench waited until the other nodes had applied everything (\"catch-up\"), then verified every row on %s too. "+
		"Figures are medians over a strategy's runs (rows verified: all runs); lag and queues are each run's largest, read on until the catch-up. The recommendation ranks a strategy whose lag is above %s (--max-lag) after the others.\n\n",
		verifiedOn(s), units.Seconds(c.MaxLagSeconds))
	head := []string{"strategy", "lag", "catch-up", "other nodes' CPU"}
	if galera {
		head = append(head, "flow control paused", "largest receive queue", "writesets", "largest writeset", "certification failures", "brute-force aborts", "backfill retries", "app aborted")
	} else {
		head = append(head, "lag (log)", "stale p99", "backfill retries", "app aborted")
	}
	head = append(head, "rows verified there")
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|---|" + strings.Repeat("---:|", len(head)-1) + "\n")
	for _, st := range s.Strategies {
		runs := clusterRuns(s, st.Name)
		if len(runs) == 0 {
			failed := failedClusterRun(s, st.Name)
			if e := watchError(s, st.Name); e != "" {
				failed = "the other nodes could not be read: " + e
			}
			if failed != "" {
				fmt.Fprintf(&b, "| %s | %s |%s\n", st.Name, failed, strings.Repeat(" |", len(head)-2))
			}
			continue
		}
		m := func(f func(summary.Cluster) float64) float64 {
			return median(runs, func(r summary.Run) float64 { return f(*r.Cluster) })
		}
		row := []string{st.Name, units.Seconds(m(func(c summary.Cluster) float64 { return c.MaxLagSeconds })),
			units.Seconds(m(func(c summary.Cluster) float64 { return c.CatchUpSeconds })),
			units.Seconds(m(func(c summary.Cluster) float64 { return c.OtherCPUSeconds }))}
		retries := fmt.Sprintf("%.0f", median(runs, func(r summary.Run) float64 { return float64(r.Retries) }))
		aborted := "–"
		if probed := withProbe(runs); len(probed) > 0 {
			aborted = fmt.Sprintf("%.0f", median(probed, func(r summary.Run) float64 { return float64(r.Probe.Conflicts) }))
		}
		if galera {
			row = append(row, fmt.Sprintf("%.1f %%", 100*m(func(c summary.Cluster) float64 { return c.FlowControlPausedShare })),
				fmt.Sprintf("%.0f", m(func(c summary.Cluster) float64 { return float64(c.MaxRecvQueue) })),
				units.Thousands(int64(m(func(c summary.Cluster) float64 { return float64(c.Writesets) }))),
				units.Bytes(m(func(c summary.Cluster) float64 { return float64(c.MaxWritesetBytes) })),
				fmt.Sprintf("%.0f", m(func(c summary.Cluster) float64 { return float64(c.CertFailures) })),
				fmt.Sprintf("%.0f", m(func(c summary.Cluster) float64 { return float64(c.BFAborts) })),
				retries, aborted)
		} else {
			stale := "–"
			if probed := withProbe(runs); len(probed) > 0 {
				stale = units.Millis(median(probed, func(r summary.Run) float64 { return r.Probe.StaleP99Ms }))
			}
			row = append(row, units.Bytes(m(func(c summary.Cluster) float64 { return float64(c.MaxLagBytes) })), stale, retries, aborted)
		}
		var rows, wrong int64
		for _, r := range runs {
			rows, wrong = rows+r.Cluster.RowsVerified, wrong+max(r.Cluster.WrongRows, 0)
		}
		row = append(row, fmt.Sprintf("%s (%d wrong)", units.Thousands(rows), wrong))
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	b.WriteString("\n")
	return b.String()
}

// watchError is the first error of the cluster's watch in name's ok runs,
// shortened; "" if none.
func watchError(s *summary.Summary, name string) string {
	for _, r := range okRuns(s, name) {
		if r.Cluster != nil && r.Cluster.Error != "" {
			e := firstLine(r.Cluster.Error)
			if len(e) > 140 {
				e = e[:140] + "…"
			}
			return e
		}
	}
	return ""
}

// withProbe returns the runs the probe ran beside.
func withProbe(runs []summary.Run) []summary.Run {
	var out []summary.Run
	for _, r := range runs {
		if r.Probe != nil {
			out = append(out, r)
		}
	}
	return out
}

// failedClusterRun says how a strategy with no ok run on the cluster
// failed: the first failed run's error, shortened.
func failedClusterRun(s *summary.Summary, name string) string {
	for _, r := range s.Runs {
		if r.Strategy == name && r.Status != summary.StatusOK && r.Resume == nil {
			e := firstLine(r.Error)
			if len(e) > 140 {
				e = e[:140] + "…"
			}
			if r.Retries > 0 {
				return fmt.Sprintf("%s after %d retries: %s", r.Status, r.Retries, e)
			}
			return fmt.Sprintf("%s: %s", r.Status, e)
		}
	}
	return ""
}

// verifiedOn names the node rows were verified on after each run.
func verifiedOn(s *summary.Summary) string {
	for _, r := range s.Runs {
		if r.Cluster != nil && r.Cluster.VerifiedOn != "" {
			return r.Cluster.VerifiedOn
		}
	}
	return "another node"
}
