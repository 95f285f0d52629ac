package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/bench"
	"github.com/iterbench/iterbench/internal/cluster"
	"github.com/iterbench/iterbench/internal/container"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/dbcost"
	"github.com/iterbench/iterbench/internal/items"
	"github.com/iterbench/iterbench/internal/rss"
	"github.com/iterbench/iterbench/internal/worker"
)

// connect checks that a table of maxRows fits where it will live, opens the
// target, completes cfg with it, and returns the launcher of worker
// processes, which t.cleanup closes.
func (f *benchFlags) connect(ctx context.Context, cfg *bench.Config, maxRows int, stderr io.Writer) (*gorm.DB, target, worker.Launcher, error) {
	if err := checkSpace(cfg.Kind, f.dsn, maxRows, items.MeanSize(cfg.Payload, cfg.PayloadMax)); err != nil {
		return nil, target{cleanup: func() {}}, nil, err
	}
	bin, err := worker.Find(ctx, stderr)
	if err != nil {
		return nil, target{cleanup: func() {}}, nil, err
	}
	topo := cluster.Single
	if cfg.Cluster != nil {
		topo = cfg.Cluster.Topology
	}
	db, t, err := f.open(ctx, cfg.Kind, topo, stderr)
	if err != nil {
		return nil, t, nil, err
	}
	cfg.Kind, cfg.DSN = t.kind, t.dsn
	if cfg.Cluster != nil {
		cfg.Cluster.First, cfg.Cluster.Others = t.dsn, t.others
		if t.cluster != nil {
			cfg.StartSeconds = t.cluster.StartSeconds
		}
		// A node iterbench cannot use is bad input, said before anything runs.
		nodes, err := cluster.Open(ctx, *cfg.Cluster)
		if err != nil {
			database.Close(db)
			t.cleanup()
			if t.cluster == nil {
				err = usageError{err}
			}
			return nil, target{cleanup: func() {}}, nil, err
		}
		nodes.Close()
	}
	if t.server != nil {
		cfg.Image, cfg.ServerCommand, cfg.StartSeconds = t.server.Image, t.server.Command, t.server.StartSeconds
		if t.cluster != nil {
			cfg.ServerCommand, cfg.StartSeconds = t.cluster.Command(), t.cluster.StartSeconds
		}
		// The server's CPU time, from its container's cgroup.
		pid, err := t.server.PID(ctx)
		if err == nil {
			cfg.ServerCPU, err = dbcost.CgroupCPU(rss.CgroupRoot, pid)
		}
		if err != nil {
			fmt.Fprintf(stderr, "iterbench: the server's CPU time will not be recorded: %v\n", err)
		}
	}
	var l worker.Launcher
	if cfg.MemoryLimit > 0 {
		var mounts []string
		if cfg.Kind == database.SQLite {
			// The workers see the database file at the same path.
			abs, err := filepath.Abs(cfg.DSN)
			if err == nil {
				cfg.DSN = abs
				mounts = []string{filepath.Dir(abs)}
			}
		}
		if t.server == nil {
			removeOrphans(ctx, stderr)
		}
		l, err = f.newWorkers(ctx, bin, cfg.MemoryLimit, mounts)
		switch {
		case errors.Is(err, container.ErrNoDocker):
			err = usagef("--memory-limit runs each worker in a container, but %v; use --rss-limit to emulate the limit without Docker", err)
		case errors.Is(err, container.ErrLimitRefused):
			err = usagef("--memory-limit %s: %v", f.memoryLimit, err)
		}
	} else {
		l, err = worker.NewLocal(bin)
	}
	if err != nil {
		database.Close(db)
		t.cleanup()
		return nil, target{cleanup: func() {}}, nil, err
	}
	if t.server != nil || cfg.MemoryLimit > 0 {
		t.reaperNote = container.ReaperNote(ctx)
	}
	closeTarget := t.cleanup
	t.cleanup = func() { l.Close(); closeTarget() }
	return db, t, l, nil
}

// serverCPU returns the reader of the CPU time a containerised server has
// used (its container's cgroup), or nil where it cannot be read.
func serverCPU(ctx context.Context, s *container.Server) func() (float64, error) {
	pid, err := s.PID(ctx)
	if err != nil {
		return nil
	}
	cpu, err := dbcost.CgroupCPU(rss.CgroupRoot, pid)
	if err != nil {
		return nil
	}
	return cpu
}

// sayReaper writes, once something was measured, that testcontainers'
// reaper could not start and iterbench went on without it (bad input keeps
// its one line).
func (t target) sayReaper(stderr io.Writer) {
	if t.reaperNote != "" {
		fmt.Fprintln(stderr, "iterbench: "+t.reaperNote)
	}
}
