package bench

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/prometheus/procfs"
	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/cluster"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
	"github.com/iterbench/iterbench/internal/strategies"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/worker"
)

// Config describes a benchmark run.
type Config struct {
	// Job is the backfill the strategies run; nil: iterbench's own
	// (items.Job).
	Job *job.Job
	// Table, if set, is the table runs measure on, set up by the caller
	// (a copy of a user's table, see package source); Rows must be its
	// size. Nil: iterbench's own table, seeded with Rows generated rows.
	Table Table
	Kind  database.Kind
	// DSN is what workers connect to; it is never written out with its password.
	DSN     string
	Rows    int
	Batch   int
	Payload int
	// PayloadMax, if above Payload, makes the documents' sizes range from
	// Payload to PayloadMax, log-uniformly (--payload MIN..MAX).
	PayloadMax int
	DataSeed   uint64
	// Repeats is the most runs of each strategy.
	Repeats int
	// MinRepeats, if above 0 and below Repeats, makes the repeats
	// sequential: every strategy runs MinRepeats times, then each further
	// repeat runs only the strategies Decide names, until it names none or
	// Repeats is reached.
	MinRepeats int
	// Decide, asked after every repeat from MinRepeats on with the runs so
	// far, names the strategies that need more runs (report.MoreRuns).
	Decide func(s *summary.Summary, samples []summary.SampleRow) []string
	// Screen, asked after the first repeat of sequential repeats, names the
	// strategies that run no more: those its rule puts out of contention
	// (report.Screen); nil: every strategy runs MinRepeats times.
	Screen func(s *summary.Summary, samples []summary.SampleRow) []string
	// ScreenFactor is Screen's factor, recorded for the report.
	ScreenFactor float64
	Strategies   []strategies.Strategy
	// BulkForm overrides the database's default bulk-update form.
	BulkForm strategies.BulkForm
	// Interval is the RSS sampling interval.
	Interval time.Duration
	// ShuffleSeed selects the order of strategies in each repeat.
	ShuffleSeed uint64
	// Workers is the worker count of parallel strategies.
	Workers int
	// BatchTarget is the time keyset-adaptive's batches aim at.
	BatchTarget time.Duration
	// RSSLimit, if not zero, kills a worker whose RSS crosses it (bytes):
	// the parent's emulation of a memory limit (--rss-limit).
	RSSLimit uint64
	// MemoryLimit, if not zero, is the memory limit of the containers the
	// launcher runs workers in (--memory-limit): the kernel enforces it.
	// Run only records it; the launcher applies it.
	MemoryLimit uint64
	// GoMemLimit is the workers' GOMEMLIMIT.
	GoMemLimit worker.MemLimit
	// Timeout, if not zero, stops a worker that runs longer.
	Timeout time.Duration
	// ProbeRate, if not zero, is the rate (operations per second) of the
	// application probe that runs beside every run (see package probe).
	ProbeRate float64
	// ProbeStep, if above 1, multiplies the probe's rate while a run does
	// the middle third of the Rows rows (by the worker's progress): the
	// application's load stepping up and down under the backfill.
	ProbeStep float64
	// ServerCPU, if set, reads the CPU time the database server has used
	// so far (dbcost.CgroupCPU of its container); each run records the
	// difference (Server.CPUSeconds).
	ServerCPU func() (float64, error)
	// MaxAppP99 is recorded for the recommendation (--max-app-p99); zero:
	// 10 × the idle probe's p99, at least 50 ms.
	MaxAppP99 time.Duration
	// KillAt, if not zero, adds to each repeat a second run of every
	// strategy, killed once it reports this share of the rows and started
	// again (see measureResume).
	KillAt float64
	// Cluster, if set, describes the other nodes of the server's cluster
	// (--topology replica or galera, or --replica-dsn): Run watches them
	// during every run and verifies every row on the last of them
	// afterwards; the probe reads from the standby (replica) or works on
	// the second Galera node. Cluster.First defaults to DSN.
	Cluster *cluster.Config
	// MaxLag is recorded for the recommendation (--max-lag).
	MaxLag time.Duration
	// nodes are the open connections to Cluster's nodes, set by Run.
	nodes *cluster.Nodes
	// Image, ServerCommand and StartSeconds describe the container the
	// server runs in, if iterbench started one.
	Image         string
	ServerCommand string
	StartSeconds  float64
}

// Defaults for Config fields.
const (
	DefaultRepeats = 3
	// DefaultMinRepeats is --min-repeats: the runs of every strategy
	// before sequential repeats go on only for the undecided.
	DefaultMinRepeats = 3
	DefaultInterval   = 10 * time.Millisecond
	// DefaultMaxLag is --max-lag: pt-archiver's default --check-slave-lag
	// limit.
	DefaultMaxLag = time.Second
)

// job is what the worker of strategy (empty: the baseline) does under cfg.
func (cfg Config) job(strategy string, touch uint64) worker.Job {
	j := worker.Job{Kind: cfg.Kind, DSN: cfg.DSN, Strategy: strategy, Table: cfg.table().Name(), Job: cfg.jobName(), Batch: cfg.Batch, BulkForm: cfg.BulkForm,
		Workers: cfg.Workers, BatchTarget: cfg.BatchTarget, GoMemLimit: cfg.GoMemLimit, Touch: touch}
	if strategy == "" {
		j.Hold = baselineHold(cfg.Interval)
	}
	return j
}

// limits are what the parent enforces on cfg's strategy workers.
func (cfg Config) limits() limits {
	return limits{Interval: cfg.Interval, RSS: cfg.RSSLimit, Timeout: cfg.Timeout, Memory: cfg.MemoryLimit}
}

// describe is the one conversion of cfg into the results' configuration
// (summary.Config), with what the database says of itself.
func describe(ctx context.Context, db *gorm.DB, cfg Config) summary.Config {
	c := summary.Config{
		Database:           string(cfg.Kind),
		DSN:                database.Redact(cfg.DSN),
		GORMVersion:        database.ModuleVersion("gorm.io/gorm"),
		Image:              cfg.Image,
		ServerCommand:      cfg.ServerCommand,
		StartSeconds:       cfg.StartSeconds,
		Rows:               cfg.Rows,
		BatchSize:          cfg.Batch,
		PayloadBytes:       cfg.Payload,
		PayloadMaxBytes:    cfg.PayloadMax,
		DataSeed:           cfg.DataSeed,
		Repeats:            cfg.Repeats,
		MinRepeats:         cfg.minRepeats(),
		ScreenFactor:       cfg.screenFactor(),
		Workers:            cfg.Workers,
		BatchTargetSeconds: cfg.BatchTarget.Seconds(),
		RSSLimitBytes:      cfg.RSSLimit,
		MemoryLimitBytes:   cfg.MemoryLimit,
		GoMemLimit:         cfg.GoMemLimit.String(),
		TimeoutSeconds:     cfg.Timeout.Seconds(),
		ProbeRate:          cfg.ProbeRate,
		ProbeStep:          cfg.probeStep(),
		MaxAppP99Ms:        float64(cfg.MaxAppP99) / float64(time.Millisecond),
		KillAt:             cfg.KillAt,
		Strategies:         strategies.Names(cfg.Strategies),
		IntervalSeconds:    cfg.Interval.Seconds(),
		ShuffleSeed:        cfg.ShuffleSeed,
		GoVersion:          runtime.Version(),
		OS:                 runtime.GOOS,
		Arch:               runtime.GOARCH,
		CPUs:               runtime.NumCPU(),
		StartedAt:          time.Now().UTC().Truncate(time.Second),
	}
	switch {
	case cfg.MemoryLimit > 0:
		c.LimitEnforcedBy = summary.EnforcedByKernel
	case cfg.RSSLimit > 0:
		c.LimitEnforcedBy = summary.EnforcedBySampler
	}
	if cfg.Table != nil && cfg.Job != nil {
		j := cfg.Job
		c.Job = &summary.Job{Name: j.Name, Table: j.Table, Copy: cfg.Table.Name(), Key: j.Key, Read: j.Read, Write: j.Write, Scoped: j.Scope != nil}
		for _, k := range database.Kinds() {
			if _, ok := j.SQL[k]; ok {
				c.Job.SQL = append(c.Job.SQL, string(k))
			}
		}
	}
	c.Topology = string(cluster.Single)
	if cl := cfg.Cluster; cl != nil {
		c.Topology = string(cl.Topology)
		c.Nodes = append(c.Nodes, nodeName(cl.Topology, 0)+" "+database.Redact(cmp.Or(cl.First, cfg.DSN)))
		for _, n := range cl.Others {
			c.Nodes = append(c.Nodes, n.Name+" "+database.Redact(n.DSN))
		}
		c.MaxLagSeconds = cfg.MaxLag.Seconds()
		if cfg.ProbeRate > 0 {
			c.ProbeNode = cl.Others[0].Name
		}
	}
	c.Driver, c.DriverVersion = database.Driver(cfg.Kind)
	c.DatabaseVersion, _ = database.Version(ctx, db)
	c.Settings, _ = database.Settings(ctx, db)
	c.BulkForm = string(cfg.BulkForm)
	if fs, err := procfs.NewDefaultFS(); err == nil {
		if info, err := fs.CPUInfo(); err == nil && len(info) > 0 {
			c.CPUModel = info[0].ModelName
		}
	}
	return c
}

// jobName is the name of cfg's job, empty for iterbench's own (the worker
// binary's first).
func (cfg Config) jobName() string {
	if cfg.Job == nil {
		return ""
	}
	return cfg.Job.Name
}

// probeStep is ProbeStep where it applies: above 1, with a probe and a row
// count; else 0.
func (cfg Config) probeStep() float64 {
	if cfg.ProbeStep <= 1 || cfg.ProbeRate <= 0 || cfg.Rows <= 0 {
		return 0
	}
	return cfg.ProbeStep
}

// screenFactor is ScreenFactor where the first repeat screens; else 0.
func (cfg Config) screenFactor() float64 {
	if cfg.minRepeats() <= 1 || cfg.Screen == nil {
		return 0
	}
	return cfg.ScreenFactor
}

// minRepeats is MinRepeats where the repeats are sequential; else 0.
func (cfg Config) minRepeats() int {
	if cfg.MinRepeats <= 0 || cfg.MinRepeats >= cfg.Repeats || cfg.Decide == nil {
		return 0
	}
	return cfg.MinRepeats
}

// nodeName is the name of a cluster's i-th node (0: the first, which the
// worker writes to).
func nodeName(t cluster.Topology, i int) string {
	if t == cluster.Replica {
		return [...]string{"primary", "standby"}[min(i, 1)]
	}
	return fmt.Sprintf("node%d", i+1)
}
