package container

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/log"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"

	"github.com/iterbench/iterbench/internal/cluster"
	"github.com/iterbench/iterbench/internal/database"
)

// Cluster is a set of containerised servers on a Docker network of their
// own: a PostgreSQL primary and its hot standby, or a Galera cluster.
type Cluster struct {
	Topology cluster.Topology
	// Nodes are the servers; the worker writes to Nodes[0] (the primary,
	// Galera's first node).
	Nodes []*Server
	// StartSeconds is the time from asking for the first container to the
	// whole cluster being ready.
	StartSeconds float64
	network      *testcontainers.DockerNetwork
}

// The standby's replication slot on the primary.
const standbySlot = "iterbench_standby"

// standbyScript is the standby's entry point: a base backup of the primary
// that writes the standby's settings (-R) and a replication slot of its own
// (-C -S), so that the primary keeps the log the standby has yet to
// replay; then the server, as a hot standby, with the image's arguments.
const standbyScript = `set -e
if [ "${1:-}" = postgres ]; then shift; fi
pg_basebackup -h primary -U "$POSTGRES_USER" -D "$PGDATA" -R -X stream -C -S ` + standbySlot + `
exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"`

// galeraArgs are the server options of node i (1-based) of a Galera
// cluster: rsync moves the first state to a joining node.
func galeraArgs(i int) []string {
	var addrs []string
	for j := 1; j <= cluster.GaleraNodes; j++ {
		addrs = append(addrs, fmt.Sprintf("node%d", j))
	}
	args := []string{"--wsrep-on=ON", "--wsrep-provider=" + GaleraProvider, "--wsrep-cluster-name=iterbench",
		"--wsrep-cluster-address=gcomm://" + strings.Join(addrs, ","), fmt.Sprintf("--wsrep-node-name=node%d", i),
		"--wsrep-sst-method=rsync", "--binlog-format=ROW", "--innodb-autoinc-lock-mode=2", "--default-storage-engine=InnoDB"}
	if i == 1 {
		args = append(args, "--wsrep-new-cluster")
	}
	return args
}

// GaleraProvider is where Debian's galera-4 package (and the official
// MariaDB image) put the Galera library.
const GaleraProvider = "/usr/lib/galera/libgalera_smm.so"

// StartCluster starts the servers of topology from image on a network of
// their own, and waits until the cluster is whole: the standby streaming
// from the primary, or every Galera node Synced in a cluster of three. It
// leaves nothing behind when it fails; the caller must call Terminate
// otherwise.
func StartCluster(ctx context.Context, kind database.Kind, topology cluster.Topology, image string, logger log.Logger) (*Cluster, error) {
	if err := topology.Check(kind); err != nil {
		return nil, err
	}
	if err := CheckDocker(ctx); err != nil {
		return nil, err
	}
	if err := checkImage(ctx, image); err != nil {
		return nil, err
	}
	start := time.Now()
	labels := ownerLabels()
	nw, err := tcnetwork.New(ctx, tcnetwork.WithLabels(labels))
	if err != nil {
		return nil, fmt.Errorf("create a Docker network for the %s cluster: %w", topology, err)
	}
	c := &Cluster{Topology: topology, network: nw}
	switch topology {
	case cluster.Replica:
		err = c.startReplica(ctx, kind, image, logger)
	case cluster.Galera:
		err = c.startGalera(ctx, kind, image, logger)
	default:
		err = fmt.Errorf("no cluster for topology %s", topology)
	}
	if err != nil {
		if terr := c.Terminate(context.WithoutCancel(ctx)); terr != nil {
			err = errors.Join(err, terr)
		}
		return nil, err
	}
	c.StartSeconds = time.Since(start).Seconds()
	return c, nil
}

func (c *Cluster) startReplica(ctx context.Context, kind database.Kind, image string, logger log.Logger) error {
	primary, err := startNode(ctx, kind, image, logger, node{network: c.network.Name, alias: "primary"})
	if err != nil {
		return err
	}
	c.Nodes = append(c.Nodes, primary)
	// The image's own authentication rules let every user in from
	// anywhere, but replication connections are a line of their own.
	code, out, err := primary.c.Exec(ctx, []string{"sh", "-c",
		`echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"`})
	if err == nil && code != 0 {
		msg, _ := io.ReadAll(out)
		err = fmt.Errorf("exit code %d: %s", code, strings.TrimSpace(string(msg)))
	}
	if err != nil {
		return fmt.Errorf("allow replication connections on the primary: %w", err)
	}
	if err := execSQL(ctx, kind, primary.DSN, "SELECT pg_reload_conf()"); err != nil {
		return fmt.Errorf("reload the primary's settings: %w", err)
	}
	sp, _ := specFor(kind)
	standby, err := startNode(ctx, kind, image, logger, node{network: c.network.Name, alias: "standby",
		script: standbyScript, user: "postgres", env: map[string]string{"PGPASSWORD": sp.env["POSTGRES_PASSWORD"]}})
	if err != nil {
		return err
	}
	standby.Command = "hot standby of primary: pg_basebackup -R -X stream -C -S " + standbySlot + "; " + standby.Command
	c.Nodes = append(c.Nodes, standby)
	return waitUntil(ctx, 2*time.Minute, "the standby to stream from the primary", func(ctx context.Context) (bool, error) {
		var n int
		err := queryRow(ctx, kind, primary.DSN, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", &n)
		return n >= 1, err
	})
}

func (c *Cluster) startGalera(ctx context.Context, kind database.Kind, image string, logger log.Logger) error {
	for i := 1; i <= cluster.GaleraNodes; i++ {
		n, err := startNode(ctx, kind, image, logger, node{network: c.network.Name, alias: fmt.Sprintf("node%d", i), args: galeraArgs(i)})
		if err != nil {
			if i == 1 {
				err = fmt.Errorf("%w (a Galera node needs %s, from galera-4, and rsync in the image)", err, GaleraProvider)
			}
			return err
		}
		c.Nodes = append(c.Nodes, n)
	}
	for _, n := range c.Nodes {
		err := waitUntil(ctx, 2*time.Minute, "Galera node "+n.Name+" to be Synced in a cluster of 3", func(ctx context.Context) (bool, error) {
			var state string
			var size int
			err := queryRow(ctx, kind, n.DSN, "SELECT (SELECT variable_value FROM information_schema.global_status WHERE variable_name = 'WSREP_LOCAL_STATE_COMMENT'), "+
				"(SELECT variable_value FROM information_schema.global_status WHERE variable_name = 'WSREP_CLUSTER_SIZE')", &state, &size)
			return state == "Synced" && size == cluster.GaleraNodes, err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Terminate stops and removes the cluster's containers, then its network.
// It is safe to call more than once and on a nil Cluster.
func (c *Cluster) Terminate(ctx context.Context) error {
	if c == nil {
		return nil
	}
	var errs []error
	for i := len(c.Nodes) - 1; i >= 0; i-- {
		errs = append(errs, c.Nodes[i].Terminate(ctx))
	}
	if nw := c.network; nw != nil {
		c.network = nil
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := nw.Remove(ctx); err != nil && !gone(err) {
			errs = append(errs, fmt.Errorf("remove the %s cluster's network: %w", c.Topology, err))
		}
	}
	return errors.Join(errs...)
}

// Command describes how the cluster's servers were started.
func (c *Cluster) Command() string {
	var parts []string
	for _, n := range c.Nodes {
		parts = append(parts, n.Name+": "+n.Command)
	}
	return strings.Join(parts, "; ")
}

// waitUntil asks ready every 200 ms until it says yes, for at most limit
// (ready's ctx ends then too); the error names what was waited for and the
// last answer.
func waitUntil(ctx context.Context, limit time.Duration, what string, ready func(ctx context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var last error
	for {
		ok, err := ready(ctx)
		if ok && err == nil {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("waited %s for %s: %w", limit, what, last)
			}
			return fmt.Errorf("waited %s for %s", limit, what)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// queryRow runs one query on a connection of its own to dsn.
func queryRow(ctx context.Context, kind database.Kind, dsn, query string, dest ...any) error {
	sp, _ := specFor(kind)
	db, err := sql.Open(sp.driver, sqlURL(kind, dsn))
	if err != nil {
		return err
	}
	defer db.Close()
	return db.QueryRowContext(ctx, query).Scan(dest...)
}

func execSQL(ctx context.Context, kind database.Kind, dsn, query string) error {
	var v any
	return queryRow(ctx, kind, dsn, query, &v)
}
