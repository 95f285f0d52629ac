package summary

import (
	"encoding/csv"
	"errors"
	"io"
	"strconv"
)

// Cluster is what a run did to the servers beside the one it wrote to (see
// package cluster): read from the first node and the others before the
// run, every 100 ms during it, and after it until they had caught up.
// Fields a topology cannot report are left out.
type Cluster struct {
	// Samples is the number of readings taken from the run's start until
	// the other nodes had caught up.
	Samples int `json:"samples"`
	// MaxLagSeconds is the largest lag seen, from the run's start until
	// the other nodes had caught up: the age of the oldest change the
	// slowest other node had not yet applied, to within a reading (on a
	// replica, the standby's pg_last_wal_replay_lsn() against when the
	// primary's pg_current_wal_lsn() passed it; on Galera, each node's
	// wsrep_last_committed against when the first node reached it).
	MaxLagSeconds float64 `json:"max_lag_seconds"`
	// MaxLagBytes (replica) is the largest distance, in bytes of the log,
	// between the primary's position and the standby's replay.
	MaxLagBytes int64 `json:"max_lag_bytes,omitempty"`
	// CatchUpSeconds is how long after the worker's end the other nodes
	// took to apply everything the first node had committed by then (read
	// once the probe had stopped, a few milliseconds later).
	CatchUpSeconds float64 `json:"catch_up_seconds"`
	// FlowControlPausedShare (Galera) is the share of the run's time flow
	// control paused replication (wsrep_flow_control_paused_ns, the
	// largest of the nodes): time every writer of the cluster waited.
	FlowControlPausedShare float64 `json:"flow_control_paused_share,omitempty"`
	// FlowControlSent (Galera) counts the pause messages the nodes sent
	// (wsrep_flow_control_sent, summed) and FlowControlReceived those the
	// first node received.
	FlowControlSent     int64 `json:"flow_control_sent,omitempty"`
	FlowControlReceived int64 `json:"flow_control_received,omitempty"`
	// MaxRecvQueue (Galera) is the longest receive queue of another node
	// (wsrep_local_recv_queue): writesets waiting to be applied.
	MaxRecvQueue int64 `json:"max_recv_queue,omitempty"`
	// CertFailures (Galera) counts transactions that failed certification
	// (wsrep_local_cert_failures) and BFAborts local transactions aborted
	// by a replicated one (wsrep_local_bf_aborts), summed over the nodes:
	// the application's transactions that conflicted with the backfill.
	CertFailures int64 `json:"cert_failures,omitempty"`
	BFAborts     int64 `json:"bf_aborts,omitempty"`
	// Writesets and WritesetBytes (Galera) are what the first node
	// replicated (wsrep_replicated, wsrep_replicated_bytes).
	Writesets     int64 `json:"writesets,omitempty"`
	WritesetBytes int64 `json:"writeset_bytes,omitempty"`
	// MaxWritesetBytes (Galera) is the largest mean writeset size over one
	// reading's interval: exact where one writeset was replicated in it,
	// as a single-statement backfill's is.
	MaxWritesetBytes int64 `json:"max_writeset_bytes,omitempty"`
	// OtherCPUSeconds is the CPU time the other nodes' servers used during
	// the run and the catch-up (their containers' cgroups): the backfill
	// paid for again, and the probe's work on the node it used.
	OtherCPUSeconds float64 `json:"other_cpu_seconds,omitempty"`
	// VerifiedOn names the node every row was verified on after the
	// catch-up ("standby", "node3"); RowsVerified and WrongRows are what it
	// found (WrongRows -1: not verified).
	VerifiedOn   string `json:"verified_on,omitempty"`
	RowsVerified int64  `json:"rows_verified"`
	WrongRows    int64  `json:"wrong_rows"`
	// Error says what could not be read.
	Error string `json:"error,omitempty"`
}

// LagSample is one line of lag.csv: a reading of the cluster during a run.
type LagSample struct {
	Strategy string
	Repeat   int
	// T is the time since the run's start, in seconds.
	T float64
	// LagSeconds and LagBytes are as in Cluster (bytes: replica only).
	LagSeconds float64
	LagBytes   int64
	// RecvQueue (Galera) is the longest receive queue of another node.
	RecvQueue int64
	// FlowControlPaused (Galera) is the share of the time since the last
	// reading flow control paused replication.
	FlowControlPaused float64
}

// LagFile holds the cluster's readings of every run, where the
// topology has more than one node.
const LagFile = "lag.csv"

var lagHeader = []string{"strategy", "repeat", "t_seconds", "lag_seconds", "lag_bytes", "recv_queue", "flow_control_paused"}

// WriteLag writes samples as CSV with a header line.
func WriteLag(w io.Writer, samples []LagSample) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(lagHeader); err != nil {
		return err
	}
	for _, x := range samples {
		rec := []string{x.Strategy, strconv.Itoa(x.Repeat), strconv.FormatFloat(x.T, 'f', 3, 64),
			strconv.FormatFloat(x.LagSeconds, 'f', 4, 64), strconv.FormatInt(x.LagBytes, 10),
			strconv.FormatInt(x.RecvQueue, 10), strconv.FormatFloat(x.FlowControlPaused, 'f', 4, 64)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadLag parses what WriteLag wrote.
func ReadLag(r io.Reader) ([]LagSample, error) {
	var out []LagSample
	err := readCSV(r, lagHeader, func(rec []string) error {
		x := LagSample{Strategy: rec[0]}
		var errs [6]error
		x.Repeat, errs[0] = strconv.Atoi(rec[1])
		x.T, errs[1] = strconv.ParseFloat(rec[2], 64)
		x.LagSeconds, errs[2] = strconv.ParseFloat(rec[3], 64)
		x.LagBytes, errs[3] = strconv.ParseInt(rec[4], 10, 64)
		x.RecvQueue, errs[4] = strconv.ParseInt(rec[5], 10, 64)
		x.FlowControlPaused, errs[5] = strconv.ParseFloat(rec[6], 64)
		out = append(out, x)
		return errors.Join(errs[:]...)
	})
	return out, err
}
