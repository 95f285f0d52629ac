package cluster

import (
	"math"
	"testing"
	"time"

	"github.com/iterbench/iterbench/internal/database"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Topology{"": Single, "single": Single, "replica": Replica, "galera": Galera} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := Parse("ring"); err == nil {
		t.Error("Parse(ring) succeeded")
	}
	if err := Replica.Check(database.MariaDB); err == nil {
		t.Error("replica on MariaDB passed the check")
	}
	if err := Galera.Check(database.MariaDB); err != nil {
		t.Error(err)
	}
	if Of(database.Postgres) != Replica || Of(database.MariaDB) != Galera || Of(database.SQLite) != Single {
		t.Error("Of gives the wrong topology")
	}
}

// status makes one node's Galera status.
func st(committed, queue, pausedNs, replicated, bytes int64) map[string]int64 {
	return map[string]int64{"wsrep_last_committed": committed, "wsrep_local_recv_queue": queue,
		"wsrep_flow_control_paused_ns": pausedNs, "wsrep_replicated": replicated, "wsrep_replicated_bytes": bytes}
}

// TestGaleraReadings: the lag is the age of the oldest writeset the
// slowest node has not applied, the queue the longest of the other nodes',
// flow control the share of the interval paused, the writeset the mean of
// the interval's.
func TestGaleraReadings(t *testing.T) {
	t0 := time.Unix(1000, 0)
	w := &Watch{start: t0, lastT: t0, last: []map[string]int64{st(10, 0, 0, 0, 0), st(10, 0, 0, 0, 0), st(10, 0, 0, 0, 0)}}
	// 100 ms on: the first node is at 12; node2 has applied all, node3 is
	// at 10; flow control paused 50 ms of the 100.
	lag, queue, paused := w.galera(t0.Add(100*time.Millisecond), []map[string]int64{st(12, 0, 50e6, 2, 3000), st(12, 1, 0, 0, 0), st(10, 4, 0, 0, 0)})
	if lag != 0 || queue != 4 || math.Abs(paused-0.5) > 1e-9 {
		t.Errorf("first reading: lag %v, queue %d, paused %v; want 0 (12 was first seen now), 4, 0.5", lag, queue, paused)
	}
	if w.res.MaxWritesetBytes != 1500 {
		t.Errorf("largest writeset %d, want 1500 (3000 bytes in 2)", w.res.MaxWritesetBytes)
	}
	// 300 ms after the start node3 is still at 10: it misses 11 and 12,
	// which the first node had 200 ms ago.
	lag, _, paused = w.galera(t0.Add(300*time.Millisecond), []map[string]int64{st(13, 0, 50e6, 3, 4000), st(13, 0, 0, 0, 0), st(10, 0, 0, 0, 0)})
	if math.Abs(lag-0.2) > 1e-9 || paused != 0 {
		t.Errorf("second reading: lag %v, paused %v; want 0.2, 0", lag, paused)
	}
	// Caught up: no lag.
	lag, _, _ = w.galera(t0.Add(400*time.Millisecond), []map[string]int64{st(13, 0, 50e6, 3, 4000), st(13, 0, 0, 0, 0), st(13, 0, 0, 0, 0)})
	if lag != 0 {
		t.Errorf("caught up: lag %v, want 0", lag)
	}
}

func TestGaleraTotals(t *testing.T) {
	t0 := time.Unix(1000, 0)
	before := []map[string]int64{
		{"wsrep_flow_control_paused_ns": 0, "wsrep_flow_control_sent": 1, "wsrep_local_cert_failures": 0, "wsrep_local_bf_aborts": 0, "wsrep_replicated": 5, "wsrep_replicated_bytes": 100},
		{"wsrep_flow_control_paused_ns": 0, "wsrep_flow_control_sent": 0, "wsrep_local_cert_failures": 2, "wsrep_local_bf_aborts": 0},
	}
	atEnd := []map[string]int64{{"wsrep_flow_control_paused_ns": 1e9}, {"wsrep_flow_control_paused_ns": 2.5e9}}
	after := []map[string]int64{
		{"wsrep_flow_control_sent": 1, "wsrep_flow_control_recv": 7, "wsrep_local_cert_failures": 3, "wsrep_local_bf_aborts": 1, "wsrep_replicated": 6, "wsrep_replicated_bytes": 900},
		{"wsrep_flow_control_sent": 4, "wsrep_local_cert_failures": 2, "wsrep_local_bf_aborts": 2},
	}
	w := &Watch{start: t0, before: before}
	w.galeraTotals(t0.Add(10*time.Second), atEnd, after)
	r := w.res
	if math.Abs(r.FlowControlPausedShare-0.25) > 1e-9 {
		t.Errorf("flow control share %v, want 0.25 (the most paused node, 2.5 s of 10)", r.FlowControlPausedShare)
	}
	if r.FlowControlSent != 4 || r.FlowControlReceived != 7 || r.CertFailures != 3 || r.BFAborts != 3 {
		t.Errorf("sent %d recv %d cert %d bf %d; want 4, 7, 3, 3", r.FlowControlSent, r.FlowControlReceived, r.CertFailures, r.BFAborts)
	}
	if r.Writesets != 1 || r.WritesetBytes != 800 || r.MaxWritesetBytes != 800 {
		t.Errorf("writesets %d of %d bytes, largest %d; want 1, 800, 800", r.Writesets, r.WritesetBytes, r.MaxWritesetBytes)
	}
}
