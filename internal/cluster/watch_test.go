package cluster_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/cluster"
	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
)

// setup starts a cluster of topology and returns a watch on it and a
// connection to each node, the first node's first.
func setup(t *testing.T, topology cluster.Topology) (*cluster.Nodes, cluster.Config, []*gorm.DB) {
	t.Helper()
	c := containertest.StartCluster(t, topology)
	ctx := context.Background()
	cfg := cluster.Config{Topology: topology, First: c.Nodes[0].DSN}
	for _, n := range c.Nodes[1:] {
		cfg.Others = append(cfg.Others, cluster.Node{Name: n.Name, DSN: n.DSN})
	}
	nodes, err := cluster.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nodes.Close() })
	var dbs []*gorm.DB
	for _, n := range c.Nodes {
		db, err := database.Open(ctx, topology.Kind(), n.DSN)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { database.Close(db) })
		dbs = append(dbs, db)
	}
	return nodes, cfg, dbs
}

func exec(t *testing.T, db *gorm.DB, q string) {
	t.Helper()
	if err := db.Exec(q).Error; err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestReplicaLag: with the standby's replay paused, writes on the primary
// make it lag, in time and in log, and the catch-up waits for the replay
// resumed after the run's end; a --replica-dsn that is the primary, or a
// node of another kind, is refused.
func TestReplicaLag(t *testing.T) {
	nodes, cfg, dbs := setup(t, cluster.Replica)
	primary, standby := dbs[0], dbs[1]
	ctx := context.Background()
	exec(t, primary, "CREATE TABLE lag_probe (id int PRIMARY KEY, v text)")
	w, err := nodes.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, standby, "SELECT pg_wal_replay_pause()")
	exec(t, primary, "INSERT INTO lag_probe SELECT g, repeat('x', 100) FROM generate_series(1, 10000) g")
	const paused = 600 * time.Millisecond
	time.Sleep(paused) // the lag to measure: the replay stays paused this long
	end := time.Now()
	go func() {
		time.Sleep(paused)
		standby.Exec("SELECT pg_wal_replay_resume()")
	}()
	res, lag := w.Stop(ctx, end)
	if res.Error != "" {
		t.Fatal(res.Error)
	}
	if res.MaxLagSeconds < 0.9*paused.Seconds() || res.MaxLagBytes < 10000*100 {
		t.Errorf("largest lag %.3f s and %d bytes, want at least %.2f s (replay paused) and the 1 MB inserted", res.MaxLagSeconds, res.MaxLagBytes, 0.9*paused.Seconds())
	}
	if res.CatchUpSeconds < 0.9*paused.Seconds() {
		t.Errorf("caught up %.3f s after the end, want at least %.2f s (replay resumed then)", res.CatchUpSeconds, 0.9*paused.Seconds())
	}
	// At the end the lag was about paused; read on until the catch-up, it
	// grew to about twice that.
	if res.MaxLagSeconds < 1.5*paused.Seconds() || len(lag) < 5 {
		t.Errorf("largest lag %.3f s in %d readings: want readings on until the catch-up, the lag growing to about %.2f s", res.MaxLagSeconds, len(lag), 2*paused.Seconds())
	}

	bad := cfg
	bad.Others = []cluster.Node{{Name: "standby", DSN: cfg.First}}
	if _, err := cluster.Open(ctx, bad); err == nil || !strings.Contains(err.Error(), "standby is not a standby") {
		t.Errorf("the primary as its own standby: %v", err)
	}
}

// TestGaleraLag: with the third node's applier held by a global read lock,
// writes on the first node queue on it and make it lag; the catch-up waits
// for the lock's release after the run's end; a node given as another of
// its own cluster is refused.
func TestGaleraLag(t *testing.T) {
	nodes, cfg, dbs := setup(t, cluster.Galera)
	first := dbs[0]
	ctx := context.Background()
	exec(t, first, "CREATE TABLE lag_probe (id int PRIMARY KEY, v text)")
	w, err := nodes.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The lock holds on one connection: pin it.
	sqlDB, err := dbs[2].DB()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "FLUSH TABLES WITH READ LOCK"); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		exec(t, first, fmt.Sprintf("INSERT INTO lag_probe VALUES (%d, 'x')", i))
	}
	const held = 600 * time.Millisecond
	time.Sleep(held) // the lag to measure: node3 applies nothing this long
	end := time.Now()
	go func() {
		time.Sleep(held)
		conn.ExecContext(ctx, "UNLOCK TABLES")
	}()
	res, _ := w.Stop(ctx, end)
	if res.Error != "" {
		t.Fatal(res.Error)
	}
	if res.MaxLagSeconds < 0.9*held.Seconds() || res.MaxRecvQueue < 1 || res.Writesets < 5 {
		t.Errorf("largest lag %.3f s, receive queue %d, %d writesets; want at least %.2f s, 1, 5", res.MaxLagSeconds, res.MaxRecvQueue, res.Writesets, 0.9*held.Seconds())
	}
	if res.CatchUpSeconds < 0.9*held.Seconds() {
		t.Errorf("caught up %.3f s after the end, want at least %.2f s (the lock released then)", res.CatchUpSeconds, 0.9*held.Seconds())
	}

	bad := cfg
	bad.Others = []cluster.Node{{Name: "node2", DSN: cfg.First}}
	if _, err := cluster.Open(ctx, bad); err == nil || !strings.Contains(err.Error(), "node2 is the first node itself") {
		t.Errorf("the first node as another: %v", err)
	}
}
