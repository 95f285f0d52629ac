package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/prometheus/procfs"
	"github.com/testcontainers/testcontainers-go/log"
	"golang.org/x/sys/unix"
	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/cluster"
	"github.com/iterbench/iterbench/internal/container"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/lock"
	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/units"
)

// target is the database a command works on.
type target struct {
	kind database.Kind
	dsn  string
	// server is the container started for the command, if any: the
	// first node of cluster, if a cluster was started.
	server *container.Server
	// cluster is the cluster started for the command (--topology), if any.
	cluster *container.Cluster
	// others are the other nodes of a cluster: started, or named by
	// --replica-dsn.
	others []cluster.Node
	// reaperNote says that testcontainers' reaper was turned off, and why.
	reaperNote string
	// cleanup releases what opening the target created (a temporary SQLite
	// file, a container); it is never nil once open returned.
	cleanup func()
}

// startFunc starts a containerised server (container.Start, or a fake in tests).
type startFunc func(ctx context.Context, kind database.Kind, image string, logger log.Logger) (*container.Server, error)

// workersFunc makes a launcher of workers in containers (container.NewWorkers,
// or a fake in tests).
type workersFunc func(ctx context.Context, binary string, limit uint64, mounts []string) (*container.Workers, error)

// clusterFunc starts a containerised cluster (container.StartCluster, or a
// fake in tests).
type clusterFunc func(ctx context.Context, kind database.Kind, topology cluster.Topology, image string, logger log.Logger) (*container.Cluster, error)

// dbFlags are the flags that choose a database.
type dbFlags struct {
	db, dsn, image string
	// topology and replicaDSN choose a cluster (registerCluster).
	topology, replicaDSN string
	start                startFunc
	startCluster         clusterFunc
	newWorkers           workersFunc
}

func (f *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.db, "db", "sqlite", "database: sqlite, postgres or mariadb")
	fs.StringVar(&f.dsn, "dsn", "", "an existing database: a file path (sqlite), postgres://… or mysql://…; its password is never printed")
	fs.StringVar(&f.image, "image", "", "container image for postgres or mariadb (default: $"+container.PostgresImageEnv+
		" or $"+container.MariaDBImageEnv+", else "+container.DefaultPostgresImage+" or "+container.DefaultMariaDBImage+")")
	f.start, f.startCluster, f.newWorkers = container.Start, container.StartCluster, container.NewWorkers
}

// registerCluster adds the flags that choose a cluster (run and sweep).
func (f *dbFlags) registerCluster(fs *flag.FlagSet) {
	fs.StringVar(&f.topology, "topology", string(cluster.Single), "single, replica (a PostgreSQL primary and a hot standby) or galera (a three-node MariaDB Galera cluster): "+
		"the servers iterbench starts; the worker writes to the first, the probe works beside it on another, and every row is verified on the last")
	fs.StringVar(&f.replicaDSN, "replica-dsn", "", "with --dsn to a PostgreSQL primary: its standby, where lag is read, the probe reads and rows are verified; "+
		"with --dsn to a Galera node: another node of its cluster, where the probe works and rows are verified")
}

// cluster validates --topology and --replica-dsn against kind and --dsn,
// and returns the topology (Single without a cluster).
func (f *dbFlags) cluster(fs *flag.FlagSet, kind database.Kind) (cluster.Topology, error) {
	topo, err := cluster.Parse(f.topology)
	if err != nil {
		return "", usageError{err}
	}
	topoSet := false
	fs.Visit(func(fl *flag.Flag) { topoSet = topoSet || fl.Name == "topology" })
	if f.replicaDSN != "" {
		if f.dsn == "" {
			return "", usagef("--replica-dsn %s needs --dsn: the server it replicates, where the worker writes", database.Redact(f.replicaDSN))
		}
		rk, err := database.KindOfDSN(f.replicaDSN)
		if err != nil {
			return "", usagef("--replica-dsn: %v", strings.TrimPrefix(err.Error(), "--dsn "))
		}
		if rk != kind || cluster.Of(kind) == cluster.Single {
			return "", usagef("--replica-dsn %s is %s, but --dsn is %s: give a standby of a PostgreSQL primary, or another node of a MariaDB Galera cluster", database.Redact(f.replicaDSN), rk, kind)
		}
		if topoSet && topo != cluster.Of(kind) {
			return "", usagef("--topology %s does not match --replica-dsn, which makes it %s on %s", topo, cluster.Of(kind), kind)
		}
		return cluster.Of(kind), nil
	}
	if topo == cluster.Single {
		return topo, nil
	}
	if err := topo.Check(kind); err != nil {
		return "", usageError{err}
	}
	if f.dsn != "" {
		return "", usagef("--topology %s starts its servers; with --dsn, give the other node as --replica-dsn", topo)
	}
	return topo, nil
}

// kind validates the flags and returns the database kind.
func (f *dbFlags) kind(fs *flag.FlagSet) (database.Kind, error) {
	kind, err := database.ParseKind(f.db)
	if err != nil {
		return "", usageError{err}
	}
	dbSet := false
	fs.Visit(func(fl *flag.Flag) { dbSet = dbSet || fl.Name == "db" })
	if f.dsn == "" {
		if t, err := cluster.Parse(f.topology); err == nil && !dbSet && t.Kind() != "" {
			return t.Kind(), nil // --topology galera alone: MariaDB
		}
		return kind, nil
	}
	fromDSN, err := database.KindOfDSN(f.dsn)
	if err != nil {
		return "", usageError{err}
	}
	if dbSet && fromDSN != kind {
		return "", usagef("--db %s does not match --dsn %s, which is %s", kind, database.Redact(f.dsn), fromDSN)
	}
	return fromDSN, nil
}

// open connects to the target, creating a temporary SQLite database when
// no DSN was given. Failing to connect is bad input (exit 2).
func (f *dbFlags) open(ctx context.Context, kind database.Kind, topo cluster.Topology, stderr io.Writer) (*gorm.DB, target, error) {
	t := target{kind: kind, dsn: f.dsn, cleanup: func() {}}
	if f.replicaDSN != "" {
		t.others = []cluster.Node{{Name: cluster.OtherName(topo), DSN: f.replicaDSN}}
	}
	if t.dsn == "" {
		switch kind {
		case database.SQLite:
			dir, err := os.MkdirTemp("", "iterbench-")
			if err != nil {
				return nil, t, fmt.Errorf("create temporary database folder: %w", err)
			}
			t.dsn = filepath.Join(dir, "iterbench.db")
			t.cleanup = func() { os.RemoveAll(dir) }
		default:
			image := f.image
			if image == "" {
				image = container.Image(kind)
			}
			removeOrphans(ctx, stderr)
			var server *container.Server
			var cl *container.Cluster
			var err error
			if topo != cluster.Single && topo != "" {
				if err = container.CheckImage(ctx, image); err == nil {
					fmt.Fprintf(stderr, "iterbench: starting a %s cluster of %s from %s ...\n", topo, kind, image)
					cl, err = f.startCluster(ctx, kind, topo, image, nil)
				}
				if err == nil {
					server = cl.Nodes[0]
					for _, n := range cl.Nodes[1:] {
						t.others = append(t.others, cluster.Node{Name: n.Name, DSN: n.DSN, CPU: serverCPU(ctx, n)})
					}
				}
			} else {
				server, err = f.start(ctx, kind, image, nil)
			}
			switch {
			case errors.Is(err, container.ErrNoDocker):
				return nil, t, usagef("--db %s starts a container, but %v; use --db sqlite, or --dsn to reach an existing server", kind, err)
			case errors.Is(err, container.ErrNoImage):
				return nil, t, usageError{err}
			case err != nil:
				return nil, t, err
			}
			t.server, t.cluster, t.dsn = server, cl, server.DSN
			t.cleanup = func() {
				var err error
				if cl != nil {
					err = cl.Terminate(context.Background()) // the first node with the others
				} else {
					err = server.Terminate(context.Background())
				}
				if err != nil {
					fmt.Fprintf(stderr, "iterbench: %v\n", err)
				}
			}
		}
	}
	db, err := database.Open(ctx, kind, t.dsn)
	if err != nil {
		t.cleanup()
		t.cleanup = func() {}
		if t.server != nil {
			return nil, t, err // our own container failed, not the user's input
		}
		return nil, t, usageError{err}
	}
	// One run per database: a second one would reset and reseed the table
	// under the first.
	lk, err := lock.Acquire(ctx, db, database.SQLitePath(t.dsn), lock.Self())
	if err != nil {
		database.Close(db)
		t.cleanup()
		t.cleanup = func() {}
		if errors.Is(err, lock.ErrHeld) {
			return nil, t, usageError{err}
		}
		return nil, t, err
	}
	closeTarget := t.cleanup
	t.cleanup = func() { lk.Release(); closeTarget() }
	return db, t, nil
}

// removeOrphans removes the containers of earlier iterbench processes that
// died without cleaning up, and says so in one line. Where Docker cannot be
// reached it does nothing: starting a container then reports that.
func removeOrphans(ctx context.Context, stderr io.Writer) {
	r, err := container.RemoveOrphans(ctx)
	switch {
	case errors.Is(err, container.ErrNoDocker):
	case err != nil:
		fmt.Fprintf(stderr, "iterbench: %v\n", err)
	case r.Containers > 0 || r.Networks > 0:
		fmt.Fprintf(stderr, "iterbench: %s\n", r)
	}
}

// checkSpace refuses a table that would not fit where it is to live: in
// the SQLite file's folder, or in the memory behind the containers' tmpfs
// (half the machine's, Docker's default). A server named by --dsn is not
// judged: its disks are not visible from here.
func checkSpace(kind database.Kind, dsn string, rows, payload int) error {
	need := seed.Estimate(rows, payload)
	var free uint64
	var where string
	switch {
	case kind == database.SQLite:
		where = os.TempDir()
		if dsn != "" {
			where = filepath.Dir(database.SQLitePath(dsn))
		}
		var st unix.Statfs_t
		if err := unix.Statfs(where, &st); err != nil {
			return nil // the folder's problems are reported when it is opened
		}
		free = st.Bavail * uint64(st.Bsize)
	case dsn == "":
		mem, err := procfs.NewDefaultFS()
		if err != nil {
			return nil
		}
		info, err := mem.Meminfo()
		if err != nil || info.MemTotalBytes == nil {
			return nil
		}
		free, where = *info.MemTotalBytes/2, "the containers' tmpfs (half of this machine's memory)"
	default:
		return nil
	}
	if need > free {
		return usagef("a table of %s rows with %s-byte documents needs about %s (rows, index, and the row versions or log an update "+
			"of every row writes), more than the %s free in %s; give fewer --rows or a smaller --payload",
			units.Thousands(int64(rows)), units.Thousands(int64(payload)), humanize.IBytes(need), humanize.IBytes(free), where)
	}
	return nil
}
