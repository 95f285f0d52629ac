// Package cluster measures what a backfill does beyond the server it writes
// to: on a PostgreSQL streaming replica, how far the standby falls behind;
// on a MariaDB Galera cluster, how often flow control pauses every writer,
// how long the other nodes' queues grow, and how many transactions fail
// certification. A Watch reads the nodes before a run, every 100 ms during
// it, and after it, until the other nodes have caught up.
package cluster

import (
	"fmt"

	"github.com/iterbench/iterbench/internal/database"
)

// Topology is how the database's servers are arranged.
type Topology string

// The topologies iterbench knows.
const (
	// Single is one server (the default).
	Single Topology = "single"
	// Replica is a PostgreSQL primary with one hot standby fed by
	// streaming replication.
	Replica Topology = "replica"
	// Galera is a three-node MariaDB Galera cluster; the worker writes to
	// the first node.
	Galera Topology = "galera"
)

// GaleraNodes is the size of the Galera cluster iterbench starts.
const GaleraNodes = 3

// Topologies lists the topologies in the order the manual gives them.
func Topologies() []Topology { return []Topology{Single, Replica, Galera} }

// Parse returns the topology named s ("" is Single).
func Parse(s string) (Topology, error) {
	switch Topology(s) {
	case "", Single:
		return Single, nil
	case Replica, Galera:
		return Topology(s), nil
	}
	return "", fmt.Errorf("--topology %q: want single, replica (PostgreSQL) or galera (MariaDB)", s)
}

// Kind is the database a topology runs on; "" for Single (any).
func (t Topology) Kind() database.Kind {
	switch t {
	case Replica:
		return database.Postgres
	case Galera:
		return database.MariaDB
	}
	return ""
}

// Check returns an error when t cannot run on kind.
func (t Topology) Check(kind database.Kind) error {
	if k := t.Kind(); k != "" && k != kind {
		return fmt.Errorf("--topology %s runs on %s, not %s", t, k, kind)
	}
	return nil
}

// Of returns the topology of a cluster of kind that is reached through a
// second server (--replica-dsn): a standby on PostgreSQL, another Galera
// node on MariaDB.
func Of(kind database.Kind) Topology {
	switch kind {
	case database.Postgres:
		return Replica
	case database.MariaDB:
		return Galera
	}
	return Single
}

// OtherName is the name of the node reached through --replica-dsn.
func OtherName(t Topology) string {
	if t == Replica {
		return "standby"
	}
	return "node2"
}
