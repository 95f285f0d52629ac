package bench

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/cluster"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/dbcost"
	"github.com/iterbench/iterbench/internal/probe"
	"github.com/iterbench/iterbench/internal/summary"
)

// IdleSeconds is how long the idle probe runs: 1,000 operations at the
// default rate, enough for a p99.
const IdleSeconds = 5

// observation is the application probe and the server cost watch running
// beside one run.
type observation struct {
	probe *probe.Running
	watch *dbcost.Watch
	err   error
	// cluster watches the other nodes (watchCluster); clusterErr says why
	// it could not.
	cluster    *cluster.Watch
	clusterErr error
}

// observe starts watching the server and, if p is not nil, the probe; on
// a cluster, once its other nodes have caught up with the first (the
// reset before the run, say), so that neither the probe nor the run sees
// a node still applying it.
func observe(ctx context.Context, db *gorm.DB, cfg Config, p *probe.Probe) *observation {
	o := &observation{}
	o.watchCluster(ctx, cfg)
	cc := dbcost.Config{Kind: cfg.Kind, SQLitePath: database.SQLitePath(cfg.DSN), Table: cfg.table().Name(), ServerCPU: cfg.ServerCPU}
	if p != nil && (cfg.Cluster == nil || cfg.Cluster.Topology != cluster.Galera) {
		// The probe's sessions, on the server watched (on Galera the probe
		// works on another node, whose session ids mean nothing here).
		cc.Exclude = p.SessionIDs()
	}
	o.watch, o.err = dbcost.Start(ctx, db, cc)
	if p != nil {
		o.probe = p.Start(ctx)
	}
	return o
}

// watchCluster starts watching the other nodes of cfg's cluster, if it
// has one, after they have caught up with the first.
func (o *observation) watchCluster(ctx context.Context, cfg Config) {
	if cfg.nodes != nil {
		o.cluster, o.clusterErr = cfg.nodes.Start(ctx)
	}
}

// stopCluster ends the cluster's watch once the other nodes have caught
// up with the first, timed from end (the worker's end), and returns what
// it saw (nil without a cluster).
func (o *observation) stopCluster(ctx context.Context, end time.Time) (*summary.Cluster, []summary.LagSample) {
	switch {
	case o.cluster != nil:
		c, lag := o.cluster.Stop(ctx, end)
		o.cluster = nil
		return &c, lag
	case o.clusterErr != nil && ctx.Err() == nil:
		return &summary.Cluster{Error: o.clusterErr.Error(), WrongRows: -1}, nil
	}
	return nil, nil
}

// stepped returns progress (which may be nil) wrapped so that the probe's
// rate is cfg.ProbeStep × its own while the worker does the middle third
// of the rows, and its own before and after.
func (o *observation) stepped(cfg Config, progress func(int64)) func(int64) {
	if o.probe == nil {
		return progress
	}
	return stepRate(cfg, o.probe.SetRate, progress)
}

// stepRate returns progress (which may be nil) wrapped so that it calls
// set with cfg.ProbeRate × cfg.ProbeStep once the worker reports a third of
// cfg.Rows done, and with cfg.ProbeRate again at two thirds; progress
// itself when there is no step.
func stepRate(cfg Config, set func(rate float64), progress func(int64)) func(int64) {
	step := cfg.probeStep()
	if step == 0 {
		return progress
	}
	third, phase := int64(cfg.Rows)/3, 0
	return func(done int64) {
		switch {
		case phase < 2 && done >= 2*third:
			set(cfg.ProbeRate)
			phase = 2
		case phase == 0 && done >= third:
			set(cfg.ProbeRate * step)
			phase = 1
		}
		if progress != nil {
			progress(done)
		}
	}
}

// stop ends the observation and returns what it saw: the probe's results
// and windows (nil without a probe) and the server's cost (nil when it
// could not be read at all; its error, if any, is in Server.Error).
func (o *observation) stop(ctx context.Context) (*summary.Probe, []summary.ProbeWindow, *summary.Server) {
	var pr *summary.Probe
	var ws []summary.ProbeWindow
	if o.probe != nil {
		res, w := o.probe.Stop()
		pr, ws = &res, w
	}
	if o.watch == nil {
		if o.err == nil || ctx.Err() != nil {
			return pr, ws, nil
		}
		return pr, ws, &summary.Server{Error: o.err.Error()}
	}
	srv, err := o.watch.Stop(ctx)
	if err != nil && ctx.Err() == nil {
		srv.Error = err.Error()
	}
	return pr, ws, &srv
}

// idle runs the probe and the server watch with no strategy beside them,
// for the reference.
func idle(ctx context.Context, db *gorm.DB, cfg Config, p *probe.Probe) (*summary.Probe, []summary.ProbeWindow, *summary.Server) {
	o := observe(ctx, db, cfg, p)
	select {
	case <-ctx.Done():
	case <-time.After(IdleSeconds * time.Second):
	}
	pr, ws, srv := o.stop(ctx)
	o.stopCluster(ctx, time.Now())
	for i := range ws {
		ws[i].Strategy = summary.IdleStrategy
	}
	return pr, ws, srv
}
