package cluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/summary"
)

// readingLimit is the longest one reading may take: a node that does not
// answer does not hold the run up.
const readingLimit = 5 * time.Second

// Defaults of Config.
const (
	DefaultInterval     = 100 * time.Millisecond
	DefaultCatchUpLimit = 5 * time.Minute
)

// WatchApp is the application_name of the watch's sessions on PostgreSQL.
const WatchApp = "iterbench cluster watch"

// Node is a server of the cluster other than the one the worker writes to.
type Node struct {
	// Name is the node's name in messages and results ("standby", "node2").
	Name string
	// DSN connects to it from this host.
	DSN string
	// CPU, if set, reads the CPU time the node's server has used so far,
	// in seconds (its container's cgroup).
	CPU func() (float64, error)
}

// Config says which cluster to watch.
type Config struct {
	Topology Topology
	// First connects to the node the worker writes to.
	First string
	// Others are the other nodes: the standby, or Galera's other nodes.
	// The last one is the one rows are verified on (Verifier).
	Others []Node
	// Interval is the time between readings (DefaultInterval).
	Interval time.Duration
	// CatchUpLimit is the longest the watch waits for the other nodes to
	// catch up, before and after a run (DefaultCatchUpLimit).
	CatchUpLimit time.Duration
}

// Nodes holds connections to every node of a cluster, for the whole
// benchmark; Start watches one run.
type Nodes struct {
	cfg    Config
	kind   database.Kind
	first  *gorm.DB
	others []*gorm.DB
}

// Open connects to every node of cfg's cluster and checks that each plays
// its part: a standby in recovery, Galera nodes of one cluster.
func Open(ctx context.Context, cfg Config) (*Nodes, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.CatchUpLimit <= 0 {
		cfg.CatchUpLimit = DefaultCatchUpLimit
	}
	kind := cfg.Topology.Kind()
	if kind == "" || len(cfg.Others) == 0 {
		return nil, fmt.Errorf("cluster: topology %s with %d other nodes has nothing to watch", cfg.Topology, len(cfg.Others))
	}
	n := &Nodes{cfg: cfg, kind: kind}
	var err error
	if n.first, err = database.OpenAs(ctx, kind, cfg.First, WatchApp); err != nil {
		return nil, fmt.Errorf("cluster: the first node: %w", err)
	}
	for _, o := range cfg.Others {
		db, err := database.OpenAs(ctx, kind, o.DSN, WatchApp)
		if err != nil {
			n.Close()
			return nil, fmt.Errorf("cluster: node %s: %w", o.Name, err)
		}
		n.others = append(n.others, db)
	}
	if err := n.check(ctx); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// check refuses a cluster whose nodes are not what the topology says: a
// standby that is not in recovery or is a copy of another primary, a
// Galera node of another cluster, or the first node itself.
func (n *Nodes) check(ctx context.Context) error {
	var firstSystem int64
	var firstGalera map[string]string
	switch n.cfg.Topology {
	case Replica:
		if err := n.first.WithContext(ctx).Raw("SELECT system_identifier FROM pg_control_system()").Scan(&firstSystem).Error; err != nil {
			return fmt.Errorf("cluster: ask the primary for its system identifier: %w", err)
		}
	case Galera:
		var err error
		if firstGalera, err = identity(ctx, n.first); err != nil {
			return fmt.Errorf("cluster: ask the first node for its Galera status: %w", err)
		}
	}
	for i, o := range n.others {
		name := n.cfg.Others[i].Name
		switch n.cfg.Topology {
		case Replica:
			var recovering bool
			if err := o.WithContext(ctx).Raw("SELECT pg_is_in_recovery()").Scan(&recovering).Error; err != nil {
				return fmt.Errorf("cluster: ask %s whether it is a standby: %w", name, err)
			}
			if !recovering {
				return fmt.Errorf("cluster: %s is not a standby (pg_is_in_recovery() is false): iterbench would verify rows and read lag on a server that does not replay the primary's log", name)
			}
			var system int64
			if err := o.WithContext(ctx).Raw("SELECT system_identifier FROM pg_control_system()").Scan(&system).Error; err != nil {
				return fmt.Errorf("cluster: ask %s for its system identifier: %w", name, err)
			}
			if system != firstSystem {
				return fmt.Errorf("cluster: %s is a standby of another primary (system identifier %d, the primary's %d)", name, system, firstSystem)
			}
		case Galera:
			id, err := identity(ctx, o)
			if err != nil {
				return fmt.Errorf("cluster: ask %s for its Galera status: %w", name, err)
			}
			switch size, _ := strconv.Atoi(id["wsrep_cluster_size"]); {
			case size < 2:
				return fmt.Errorf("cluster: %s is not a node of a Galera cluster of two or more (wsrep_cluster_size %s)", name, id["wsrep_cluster_size"])
			case id["wsrep_cluster_state_uuid"] != firstGalera["wsrep_cluster_state_uuid"]:
				return fmt.Errorf("cluster: %s is a node of another Galera cluster than the first node's", name)
			case id["wsrep_gcomm_uuid"] == firstGalera["wsrep_gcomm_uuid"]:
				return fmt.Errorf("cluster: %s is the first node itself: give another node of its cluster", name)
			}
		}
	}
	return nil
}

// Verifier returns the connection to the node rows are verified on, and
// its name.
func (n *Nodes) Verifier() (*gorm.DB, string) {
	return n.others[len(n.others)-1], n.cfg.Others[len(n.others)-1].Name
}

// Close closes the connections.
func (n *Nodes) Close() error {
	var errs []error
	for _, db := range append([]*gorm.DB{n.first}, n.others...) {
		if db != nil {
			errs = append(errs, database.Close(db))
		}
	}
	return errors.Join(errs...)
}

// Watch is one run being watched.
type Watch struct {
	n     *Nodes
	start time.Time
	stop  chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	res   summary.Cluster
	lag   []summary.LagSample
	errs  []error
	// sampleErr is the first reading that failed.
	sampleErr error
	// taking is held while a reading is taken (take).
	taking sync.Mutex
	// before are the Galera counters of every node (first, then others)
	// at the start; last, those of the last reading.
	before, last []map[string]int64
	lastT        time.Time
	// seqs are the first node's positions (Galera: seqno) with the time
	// each was first seen.
	seqs []seqAt
	cpu0 []float64
}

type seqAt struct {
	t   time.Time
	seq int64
}

// Start waits until the other nodes have applied everything the first has
// committed (a reset's rows, say), then reads the starting point and
// takes a reading every Interval until Stop.
func (n *Nodes) Start(ctx context.Context) (*Watch, error) {
	if _, err := n.catchUp(ctx); err != nil {
		return nil, fmt.Errorf("before the run: %w", err)
	}
	w := &Watch{n: n, stop: make(chan struct{}), done: make(chan struct{})}
	for _, o := range n.cfg.Others {
		var t float64
		if o.CPU != nil {
			var err error
			if t, err = o.CPU(); err != nil {
				w.errs = append(w.errs, fmt.Errorf("the CPU time of %s: %w", o.Name, err))
			}
		}
		w.cpu0 = append(w.cpu0, t)
	}
	if n.cfg.Topology == Galera {
		st, err := n.statuses(ctx)
		if err != nil {
			return nil, fmt.Errorf("before the run: %w", err)
		}
		w.before, w.last = st, st
	}
	w.start = time.Now()
	w.lastT = w.start
	// Where the first node stands now: the other nodes have caught up.
	if err := w.sample(ctx); err != nil {
		return nil, fmt.Errorf("before the run: %w", err)
	}
	w.lag = nil
	w.res = summary.Cluster{}
	go w.loop(ctx)
	return w, nil
}

func (w *Watch) loop(ctx context.Context) {
	defer close(w.done)
	t := time.NewTicker(w.n.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.take(ctx)
	}
}

// take takes one reading and counts it, or keeps the first error; one at
// a time, so that readings are applied in the order they were taken.
func (w *Watch) take(ctx context.Context) {
	w.taking.Lock()
	defer w.taking.Unlock()
	ctx, cancel := context.WithTimeout(ctx, readingLimit)
	defer cancel()
	err := w.sample(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil {
		w.res.Samples++
	} else if w.sampleErr == nil && ctx.Err() == nil {
		w.sampleErr = fmt.Errorf("during the run: %w", err)
	}
}

// sample takes one reading.
func (w *Watch) sample(ctx context.Context) error {
	now := time.Now()
	x := summary.LagSample{T: now.Sub(w.start).Seconds()}
	switch w.n.cfg.Topology {
	case Replica:
		first, replayed, err := w.n.replicaPositions(ctx)
		if err != nil {
			return err
		}
		w.mu.Lock()
		w.reached(now, first)
		for _, r := range replayed {
			x.LagSeconds = max(x.LagSeconds, w.behind(now, r))
			x.LagBytes = max(x.LagBytes, first-r)
		}
		w.mu.Unlock()
	case Galera:
		st, err := w.n.statuses(ctx)
		if err != nil {
			return err
		}
		w.mu.Lock()
		x.LagSeconds, x.RecvQueue, x.FlowControlPaused = w.galera(now, st)
		w.mu.Unlock()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.res.MaxLagSeconds = max(w.res.MaxLagSeconds, x.LagSeconds)
	w.res.MaxLagBytes = max(w.res.MaxLagBytes, x.LagBytes)
	w.res.MaxRecvQueue = max(w.res.MaxRecvQueue, x.RecvQueue)
	w.lag = append(w.lag, x)
	return nil
}

// galera reads one set of node statuses taken at now: the lag of the
// slowest node (the age of the oldest writeset it has not applied), the
// longest receive queue of the other nodes, and the share of the time
// since the last reading that flow control paused replication.
func (w *Watch) galera(now time.Time, st []map[string]int64) (lag float64, queue int64, paused float64) {
	w.reached(now, st[0]["wsrep_last_committed"])
	for _, o := range st[1:] {
		queue = max(queue, o["wsrep_local_recv_queue"])
		lag = max(lag, w.behind(now, o["wsrep_last_committed"]))
	}
	var pausedNs int64
	for i, s := range st {
		pausedNs = max(pausedNs, s["wsrep_flow_control_paused_ns"]-w.last[i]["wsrep_flow_control_paused_ns"])
	}
	if dt := now.Sub(w.lastT); dt > 0 {
		paused = min(1, float64(pausedNs)/float64(dt))
	}
	// The largest writeset: the mean over this reading's interval.
	if n := st[0]["wsrep_replicated"] - w.last[0]["wsrep_replicated"]; n > 0 {
		w.res.MaxWritesetBytes = max(w.res.MaxWritesetBytes, (st[0]["wsrep_replicated_bytes"]-w.last[0]["wsrep_replicated_bytes"])/n)
	}
	w.last, w.lastT = st, now
	return lag, queue, paused
}

// reached records that the first node was at position pos (Galera's
// seqno, PostgreSQL's log position in bytes) at now, if it had moved on.
func (w *Watch) reached(now time.Time, pos int64) {
	if len(w.seqs) == 0 || w.seqs[len(w.seqs)-1].seq < pos {
		w.seqs = append(w.seqs, seqAt{now, pos})
	}
}

// behind is how long ago the first node committed the oldest writeset (or
// wrote the oldest log) a node at position seq has not applied (replayed):
// the time since the first reading that found the first node past seq; 0
// when it has applied all.
func (w *Watch) behind(now time.Time, seq int64) float64 {
	for _, s := range w.seqs {
		if s.seq > seq {
			return now.Sub(s.t).Seconds()
		}
	}
	return 0
}

// Stop takes a last reading, waits until the other nodes have applied what
// the first had committed by now, reading on meanwhile, and returns what
// the run did to them, with the readings (their Strategy and Repeat for
// the caller to fill). end is when the worker ended: the catch-up is timed
// from it. What could not be read is said in the result's Error.
func (w *Watch) Stop(ctx context.Context, end time.Time) (summary.Cluster, []summary.LagSample) {
	// A reading at the end: a run shorter than one interval has one too.
	w.take(ctx)
	n := w.n
	var endStatus []map[string]int64
	if n.cfg.Topology == Galera {
		st, err := n.statuses(ctx)
		if err != nil {
			w.errs = append(w.errs, fmt.Errorf("after the run: %w", err))
		}
		endStatus = st
	}
	// The readings go on while the other nodes catch up: their lag may
	// still grow (a single statement's commit, say).
	_, catchErr := n.catchUp(ctx)
	caughtUp := time.Now()
	close(w.stop)
	<-w.done
	w.res.CatchUpSeconds = max(0, caughtUp.Sub(end).Seconds())
	if catchErr != nil {
		w.errs = append(w.errs, fmt.Errorf("after the run: %w", catchErr))
	}
	if n.cfg.Topology == Galera {
		if after, err := n.statuses(ctx); err != nil {
			w.errs = append(w.errs, fmt.Errorf("after the catch-up: %w", err))
		} else {
			w.galeraTotals(end, endStatus, after)
		}
	}
	for i, o := range n.cfg.Others {
		if o.CPU == nil {
			continue
		}
		t, err := o.CPU()
		if err != nil {
			w.errs = append(w.errs, fmt.Errorf("the CPU time of %s: %w", o.Name, err))
			continue
		}
		w.res.OtherCPUSeconds += t - w.cpu0[i]
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sampleErr != nil {
		w.errs = append([]error{w.sampleErr}, w.errs...)
	}
	if len(w.errs) > 0 && ctx.Err() == nil {
		w.res.Error = errors.Join(w.errs...).Error()
	}
	return w.res, w.lag
}

// galeraTotals fills the counters of the whole run: flow control over the
// run's time (from the start to end, read at end), conflicts and
// replication over the run and the catch-up (read after).
func (w *Watch) galeraTotals(end time.Time, atEnd, after []map[string]int64) {
	delta := func(st []map[string]int64, i int, name string) int64 { return st[i][name] - w.before[i][name] }
	if atEnd != nil {
		var paused int64
		for i := range atEnd {
			paused = max(paused, delta(atEnd, i, "wsrep_flow_control_paused_ns"))
		}
		if d := end.Sub(w.start); d > 0 {
			w.res.FlowControlPausedShare = min(1, float64(paused)/float64(d))
		}
	}
	for i := range after {
		w.res.FlowControlSent += delta(after, i, "wsrep_flow_control_sent")
		w.res.CertFailures += delta(after, i, "wsrep_local_cert_failures")
		w.res.BFAborts += delta(after, i, "wsrep_local_bf_aborts")
	}
	w.res.FlowControlReceived = delta(after, 0, "wsrep_flow_control_recv")
	w.res.Writesets = delta(after, 0, "wsrep_replicated")
	w.res.WritesetBytes = delta(after, 0, "wsrep_replicated_bytes")
	if w.res.Writesets == 1 {
		w.res.MaxWritesetBytes = w.res.WritesetBytes
	}
}

// catchUp waits until every other node has applied what the first node
// had committed when it was called, and returns how long that took.
func (n *Nodes) catchUp(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	// The limit holds for a node that stops answering too.
	ctx, cancel := context.WithTimeout(ctx, n.cfg.CatchUpLimit+readingLimit)
	defer cancel()
	var target string
	var err error
	switch n.cfg.Topology {
	case Replica:
		err = n.first.WithContext(ctx).Raw("SELECT pg_current_wal_lsn()::text").Scan(&target).Error
	case Galera:
		var st map[string]int64
		st, err = status(ctx, n.first)
		target = strconv.FormatInt(st["wsrep_last_committed"], 10)
	}
	if err != nil {
		return 0, fmt.Errorf("read the first node's position: %w", err)
	}
	deadline := time.Now().Add(n.cfg.CatchUpLimit)
	for i, o := range n.others {
		for {
			var done bool
			switch n.cfg.Topology {
			case Replica:
				err = o.WithContext(ctx).Raw("SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), ?::pg_lsn) >= 0", target).Scan(&done).Error
			case Galera:
				var st map[string]int64
				st, err = status(ctx, o)
				seq, _ := strconv.ParseInt(target, 10, 64)
				done = st["wsrep_last_committed"] >= seq
			}
			if err != nil {
				return time.Since(start), fmt.Errorf("read %s's position: %w", n.cfg.Others[i].Name, err)
			}
			if done {
				break
			}
			if time.Now().After(deadline) {
				return time.Since(start), fmt.Errorf("%s had not caught up with the first node (at %s) after %s", n.cfg.Others[i].Name, target, n.cfg.CatchUpLimit)
			}
			select {
			case <-ctx.Done():
				return time.Since(start), ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	return time.Since(start), nil
}

// replicaPositions reads the primary's log position and each standby's
// replay position, in bytes from the log's start.
func (n *Nodes) replicaPositions(ctx context.Context) (first int64, replayed []int64, err error) {
	if err := n.first.WithContext(ctx).Raw("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint").Scan(&first).Error; err != nil {
		return 0, nil, fmt.Errorf("the primary's position: %w", err)
	}
	for i, o := range n.others {
		var r int64
		if err := o.WithContext(ctx).Raw("SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint").Scan(&r).Error; err != nil {
			return 0, nil, fmt.Errorf("%s's replay position: %w", n.cfg.Others[i].Name, err)
		}
		replayed = append(replayed, r)
	}
	return first, replayed, nil
}

// galeraStatus are the status variables a Watch reads on each Galera node.
var galeraStatus = []string{"wsrep_last_committed", "wsrep_local_recv_queue", "wsrep_flow_control_paused_ns",
	"wsrep_flow_control_sent", "wsrep_flow_control_recv", "wsrep_local_cert_failures", "wsrep_local_bf_aborts",
	"wsrep_replicated", "wsrep_replicated_bytes", "wsrep_cluster_size"}

// statuses reads every node's Galera status, the first node's first.
func (n *Nodes) statuses(ctx context.Context) ([]map[string]int64, error) {
	var out []map[string]int64
	for i, db := range append([]*gorm.DB{n.first}, n.others...) {
		st, err := status(ctx, db)
		if err != nil {
			name := "the first node"
			if i > 0 {
				name = n.cfg.Others[i-1].Name
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, st)
	}
	return out, nil
}

// identity reads what tells Galera nodes and clusters apart: the cluster's
// state UUID, the node's own UUID, and the cluster's size.
func identity(ctx context.Context, db *gorm.DB) (map[string]string, error) {
	rows, err := db.WithContext(ctx).Raw("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_state_uuid', 'wsrep_gcomm_uuid', 'wsrep_cluster_size')").Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	id := map[string]string{}
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return nil, err
		}
		id[strings.ToLower(name)] = value
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if id["wsrep_cluster_state_uuid"] == "" {
		return nil, errors.New("no wsrep_cluster_state_uuid: not a Galera node (wsrep_on is off?)")
	}
	return id, nil
}

// status reads one node's Galera status variables.
func status(ctx context.Context, db *gorm.DB) (map[string]int64, error) {
	rows, err := db.WithContext(ctx).Raw("SHOW GLOBAL STATUS WHERE Variable_name IN ('" + strings.Join(galeraStatus, "','") + "')").Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	st := map[string]int64{}
	for rows.Next() {
		var name string
		var value sql.NullString
		if err := rows.Scan(&name, &value); err != nil {
			return nil, err
		}
		if v, err := strconv.ParseInt(value.String, 10, 64); err == nil {
			st[strings.ToLower(name)] = v
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if _, ok := st["wsrep_last_committed"]; !ok {
		return nil, errors.New("no wsrep_last_committed: not a Galera node (wsrep_on is off?)")
	}
	return st, nil
}
