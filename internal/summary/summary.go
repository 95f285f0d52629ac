// Package summary defines the results of a benchmark run and reads and
// writes them: summary.json, samples.csv and bench.txt (the Go benchmark
// format that benchstat reads).
package summary

import (
	"cmp"
	"slices"
	"time"
)

// Run statuses.
const (
	// StatusOK: the strategy finished and every row was verified.
	StatusOK = "ok"
	// StatusError: the strategy or its worker process failed, or
	// verification found wrong rows.
	StatusError = "error"
	// StatusInterrupted: the user stopped iterbench while this run was going.
	StatusInterrupted = "interrupted"
	// StatusKilled: the worker's RSS crossed --rss-limit and the parent
	// killed it, emulating a container's memory limit.
	StatusKilled = "killed"
	// StatusOOMKilled: the worker's container reached --memory-limit and the
	// kernel's OOM killer ended it (exit code 137, as Kubernetes reports
	// OOMKilled).
	StatusOOMKilled = "oom-killed"
	// StatusTimeout: the worker outlived the per-run time limit.
	StatusTimeout = "timeout"
)

// What enforced a run's memory limit (Config.LimitEnforcedBy).
const (
	// EnforcedByKernel: each worker ran in a container with the limit, and
	// the kernel's OOM killer acted (--memory-limit).
	EnforcedByKernel = "kernel"
	// EnforcedBySampler: the parent sampled each worker's RSS and killed it
	// above the limit (--rss-limit), an emulation.
	EnforcedBySampler = "sampler"
)

// Stopped reports whether the run was ended for crossing a memory limit,
// by the kernel or by the sampler.
func (r Run) Stopped() bool { return r.Status == StatusKilled || r.Status == StatusOOMKilled }

// LimitBytes is the run's memory limit, whichever enforced it; 0 for none.
func (c Config) LimitBytes() uint64 { return max(c.RSSLimitBytes, c.MemoryLimitBytes) }

// Summary is the content of summary.json.
type Summary struct {
	// Config describes what was measured and where.
	Config Config `json:"config"`
	// Complete is false when the run was interrupted before every planned
	// run finished.
	Complete bool `json:"complete"`
	// SeedSeconds is the time taken to create and fill the table.
	SeedSeconds float64 `json:"seed_seconds"`
	// BaselinePeakRSSBytes is the sampled peak RSS of a worker that only
	// opens the database.
	BaselinePeakRSSBytes uint64 `json:"baseline_peak_rss_bytes"`
	// BaselineKernelMaxRSSBytes is that worker's VmHWM.
	BaselineKernelMaxRSSBytes uint64 `json:"baseline_kernel_max_rss_bytes"`
	// BaselineAnonPeakBytes and BaselineFilePeakBytes split the baseline
	// worker's RSS into anonymous and file-backed pages (0 in results
	// written before they were recorded).
	BaselineAnonPeakBytes uint64 `json:"baseline_anon_peak_bytes,omitempty"`
	BaselineFilePeakBytes uint64 `json:"baseline_file_peak_bytes,omitempty"`
	// BaselineCgroupPeakBytes is the baseline worker's container's peak
	// charge, under --memory-limit.
	BaselineCgroupPeakBytes uint64 `json:"baseline_cgroup_peak_bytes,omitempty"`
	// Runs holds one entry per strategy run, in the order they ran.
	Runs []Run `json:"runs"`
	// Strategies aggregates the runs per strategy.
	Strategies []Strategy `json:"strategies"`
	// Unsupported lists the requested strategies this database does not
	// offer; they were not run.
	Unsupported []string `json:"unsupported,omitempty"`
	// IdleProbe is the application probe run with no strategy beside it,
	// and IdleServer what the server did meanwhile: the reference.
	IdleProbe  *Probe  `json:"idle_probe,omitempty"`
	IdleServer *Server `json:"idle_server,omitempty"`
	// ProbeWindows are the probe's latencies per window (probe.csv); not
	// part of summary.json.
	ProbeWindows []ProbeWindow `json:"-"`
	// Lag are the cluster's readings during every run (lag.csv); not
	// in summary.json.
	Lag []LagSample `json:"-"`
	// Projection, with --target-rows, holds the second, smaller table the
	// strategies were also measured on, from which their growth is
	// projected to the target size.
	Projection *Projection `json:"projection,omitempty"`
}

// Projection is what a projection to a larger table is computed from: the
// size to project to, and every strategy measured again on a smaller table
// (same configuration, no probe), so that growth with the rows shows.
type Projection struct {
	// TargetRows is the table size to project to (--target-rows).
	TargetRows int `json:"target_rows"`
	// Rows is the smaller table's size.
	Rows int `json:"rows"`
	// BaselinePeakRSSBytes is the baseline worker's peak in that measurement.
	BaselinePeakRSSBytes uint64 `json:"baseline_peak_rss_bytes"`
	// Runs are the runs on the smaller table.
	Runs []Run `json:"runs"`
}

// Config describes a benchmark run.
type Config struct {
	Database        string `json:"database"`
	DatabaseVersion string `json:"database_version"`
	DSN             string `json:"dsn,omitempty"` // without password
	Driver          string `json:"driver"`
	DriverVersion   string `json:"driver_version"`
	GORMVersion     string `json:"gorm_version"`
	// Settings are the server settings that affect speed, as read from it.
	Settings map[string]string `json:"settings,omitempty"`
	// Image, ServerCommand and StartSeconds describe the container
	// iterbench started for the server, if any.
	Image         string  `json:"image,omitempty"`
	ServerCommand string  `json:"server_command,omitempty"`
	StartSeconds  float64 `json:"container_start_seconds,omitempty"`
	BulkForm      string  `json:"bulk_form"`
	// Topology is how the servers were arranged: "single" (or empty, in
	// results written before topologies), "replica" or "galera".
	Topology string `json:"topology,omitempty"`
	// Nodes names the servers: the one the worker wrote to first, then the
	// others, as "name dsn" (passwords removed); empty for one server.
	Nodes []string `json:"nodes,omitempty"`
	// ProbeNode names the node the application probe read from (replica)
	// or worked on (galera), when not the first.
	ProbeNode string `json:"probe_node,omitempty"`
	// MaxLagSeconds is --max-lag, the recommendation's limit on a
	// cluster's lag.
	MaxLagSeconds float64 `json:"max_lag_seconds,omitempty"`
	// Job describes a user's job (see iterbench.Job), measured on a copy
	// of its table; nil for iterbench's own table.
	Job          *Job `json:"job,omitempty"`
	Rows         int  `json:"rows"`
	BatchSize    int  `json:"batch_size"`
	PayloadBytes int  `json:"payload_bytes"`
	// PayloadMaxBytes, if set, is the largest document: sizes ranged from
	// PayloadBytes to it, log-uniformly.
	PayloadMaxBytes int    `json:"payload_max_bytes,omitempty"`
	DataSeed        uint64 `json:"data_seed"`
	SeedMethod      string `json:"seed_method,omitempty"`
	Repeats         int    `json:"repeats"`
	// MinRepeats, if not 0, is the runs every strategy had before the
	// repeats went on only for the strategies the recommendation could not
	// yet tell apart (sequential repeats, --min-repeats), up to Repeats.
	MinRepeats int `json:"min_repeats,omitempty"`
	// ScreenFactor, if not 0, screened the strategies after the first
	// repeat: one whose run took more than this many times as long as the
	// leader's ran no more (--screen; Strategy.Screened).
	ScreenFactor float64 `json:"screen_factor,omitempty"`
	Workers      int     `json:"workers,omitempty"`
	// BatchTargetSeconds is the time keyset-adaptive's batches aimed at.
	BatchTargetSeconds float64 `json:"batch_target_seconds,omitempty"`
	RSSLimitBytes      uint64  `json:"rss_limit_bytes,omitempty"`
	// MemoryLimitBytes is the containers' memory limit (--memory-limit).
	MemoryLimitBytes uint64 `json:"memory_limit_bytes,omitempty"`
	// LimitEnforcedBy says what enforced the limit: EnforcedByKernel or
	// EnforcedBySampler.
	LimitEnforcedBy string `json:"limit_enforced_by,omitempty"`
	// GoMemLimit is the workers' GOMEMLIMIT setting: off, auto, or bytes.
	GoMemLimit     string  `json:"gomemlimit,omitempty"`
	TimeoutSeconds float64 `json:"timeout_seconds,omitempty"`
	// ProbeRate is the application probe's rate in operations per second;
	// 0: no probe ran.
	ProbeRate float64 `json:"probe_rate,omitempty"`
	// ProbeStep is --probe-step: the probe ran at ProbeRate × ProbeStep
	// while each run did the middle third of its rows; 0: no step.
	ProbeStep float64 `json:"probe_step,omitempty"`
	// MaxAppP99Ms is --max-app-p99; 0: 10 × the idle probe's p99, at least
	// 50 ms.
	MaxAppP99Ms float64 `json:"max_app_p99_ms,omitempty"`
	// KillAt is --kill-at: the share of the rows after which one run of
	// each strategy per repeat was killed and started again; 0: none.
	KillAt          float64   `json:"kill_at,omitempty"`
	Strategies      []string  `json:"strategies"`
	IntervalSeconds float64   `json:"interval_seconds"`
	ShuffleSeed     uint64    `json:"shuffle_seed"`
	GoVersion       string    `json:"go_version"`
	OS              string    `json:"os"`
	Arch            string    `json:"arch"`
	CPUs            int       `json:"cpus"`
	CPUModel        string    `json:"cpu_model,omitempty"`
	StartedAt       time.Time `json:"started_at"`
}

// Run is one strategy run in its own worker process.
type Run struct {
	Strategy string `json:"strategy"`
	// Layer is what the run's reads and writes went through: LayerGORM or
	// LayerDriver ("" in results written before layers: GORM).
	Layer string `json:"layer,omitempty"`
	// Repeat numbers the repeat, from 1.
	Repeat int `json:"repeat"`
	// Order is the position of this run within its repeat, from 1.
	Order  int    `json:"order"`
	Status string `json:"status"`
	// Rows is the number of rows the strategy reported writing.
	Rows int64 `json:"rows"`
	// RowsVerified is the number of rows checked after the run.
	RowsVerified int64 `json:"rows_verified"`
	// WrongRows is the number of rows whose score differs from the
	// calculation after the run; -1 if verification did not happen.
	WrongRows int64 `json:"wrong_rows"`
	// PeakRSSBytes is the largest sampled RSS of the worker.
	PeakRSSBytes uint64 `json:"peak_rss_bytes"`
	// KernelMaxRSSBytes is the kernel's high-water mark of the worker's
	// RSS (VmHWM), read by the worker as it finished.
	KernelMaxRSSBytes uint64 `json:"kernel_max_rss_bytes"`
	// AnonPeakBytes and FilePeakBytes are the largest sampled anonymous
	// (RssAnon) and file-backed (RssFile) parts of the worker's RSS. The
	// anonymous part is what the strategy allocated; the file-backed part is
	// mostly the executable, and depends on how it is cached and mapped.
	AnonPeakBytes uint64 `json:"anon_peak_bytes,omitempty"`
	FilePeakBytes uint64 `json:"file_peak_bytes,omitempty"`
	// CgroupPeakBytes is the worker's container's peak charge (under
	// --memory-limit): what the kernel compares with the limit. It includes
	// page cache the worker touched, such as SQLite's files.
	CgroupPeakBytes uint64 `json:"cgroup_peak_bytes,omitempty"`
	// CgroupWorkingSetPeakBytes is the largest sampled working set of that
	// container: its charge less inactive file pages, as the kubelet counts.
	CgroupWorkingSetPeakBytes uint64 `json:"cgroup_working_set_peak_bytes,omitempty"`
	// ExitCode is the worker's exit code; 137 for a SIGKILL.
	ExitCode int `json:"exit_code"`
	// OOMKilled is Docker's own flag: the kernel's OOM killer acted in the
	// worker's container.
	OOMKilled bool `json:"oom_killed,omitempty"`
	// GoMemLimitBytes is the worker's GOMEMLIMIT; 0 for none.
	GoMemLimitBytes uint64 `json:"gomemlimit_bytes,omitempty"`
	// GCCPUSeconds is the CPU time of the worker's garbage collector.
	GCCPUSeconds float64 `json:"gc_cpu_seconds"`
	// CPUSeconds is the CPU time (user and system) the worker used while
	// its strategy ran: the client's work. On SQLite, which runs in the
	// worker, it holds the database's too. 0: not recorded.
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	// ResetSeconds and VerifySeconds are the parent's own work around the
	// run: making the table ready for it (reseeding it, or resetting it in
	// place) and checking every row after it. They are not in the
	// strategy's time; they are most of a run's fixed cost.
	ResetSeconds  float64 `json:"reset_seconds,omitempty"`
	VerifySeconds float64 `json:"verify_seconds,omitempty"`
	// ResetNext: the verification also reset the table for the next run,
	// at the same time (SQLite: the read keeps its snapshot while the
	// reset writes); VerifySeconds covers both, and the next run has no
	// ResetSeconds of its own.
	ResetNext bool `json:"reset_next,omitempty"`
	// RusageMaxRSSBytes is ru_maxrss from wait4. On Linux it also counts the
	// parent's RSS at the time it started the worker, so it is kept for
	// reference only.
	RusageMaxRSSBytes uint64 `json:"rusage_max_rss_bytes"`
	// DurationSeconds is the time the strategy itself took, measured in the
	// worker from just before it started to just after it finished.
	DurationSeconds float64 `json:"duration_seconds"`
	// WallSeconds is the worker process's lifetime as the parent saw it.
	WallSeconds float64 `json:"wall_seconds"`
	// Reads and Writes count the statements the strategy issued.
	Reads  int64 `json:"reads"`
	Writes int64 `json:"writes"`
	// Retries counts writes the strategy tried again for a conflict with
	// another transaction: deadlocks, and on Galera transactions aborted by
	// a writeset replicated from another node or failing certification.
	Retries int64 `json:"retries,omitempty"`
	// Batches describes the batches of a strategy that sizes them
	// (keyset-bulk, keyset-adaptive).
	Batches *Batches `json:"batches,omitempty"`
	// KilledAtSeconds is when, after the worker started, it was killed for
	// crossing the memory limit (status killed or oom-killed).
	KilledAtSeconds float64 `json:"killed_at_seconds,omitempty"`
	// Samples is the number of RSS samples taken.
	Samples int `json:"samples"`
	// Probe is what the application beside the run saw.
	Probe *Probe `json:"probe,omitempty"`
	// Server is what the run cost the database server.
	Server *Server `json:"server,omitempty"`
	// Cluster is what the run did to the other nodes (topology replica or
	// galera, or --replica-dsn).
	Cluster *Cluster `json:"cluster,omitempty"`
	// Resume is set on a run killed at --kill-at and started again; such
	// runs are left out of the strategy's time and memory figures.
	Resume *Resume `json:"resume,omitempty"`
	Error  string  `json:"error,omitempty"`
}

// RowsPerSecond is the run's throughput.
func (r Run) RowsPerSecond() float64 {
	if r.DurationSeconds <= 0 {
		return 0
	}
	return float64(r.Rows) / r.DurationSeconds
}

// Strategy aggregates the runs of one strategy.
type Strategy struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Roles are what the strategy declared of itself when it ran.
	Roles Roles `json:"roles"`
	Runs  int   `json:"runs"`
	OK    int   `json:"ok"`
	// PeakRSSBytes and DurationSeconds summarise the ok runs.
	PeakRSSBytes    Stat `json:"peak_rss_bytes"`
	DurationSeconds Stat `json:"duration_seconds"`
	// AnonPeakBytes summarises the ok runs' anonymous peaks (zero in
	// results written before the memory split).
	AnonPeakBytes Stat    `json:"anon_peak_bytes"`
	RowsPerSecond float64 `json:"rows_per_second"` // median
	// RowsVerified is the number of rows verified in each ok run, if they
	// all agree, else the smallest.
	RowsVerified int64 `json:"rows_verified"`
	WrongRows    int64 `json:"wrong_rows"` // total over ok runs
	// ProbeP99Ms summarises the probe's p99 over the ok runs.
	ProbeP99Ms Stat `json:"probe_p99_ms"`
	// Resumes counts the ok runs killed at --kill-at and started again.
	Resumes int `json:"resumes,omitempty"`
	// Screened: after its first run it ran no more, out of contention
	// (Config.ScreenFactor).
	Screened bool `json:"screened,omitempty"`
}

// Roles are what a strategy declared of itself when it ran
// (strategies/roles.go), recorded so that a report of these results reads
// the same whatever strategies exist later: the rules find "the set-based
// one" or "the bulk twin of cursor" here, never by a name.
type Roles struct {
	// Order is the strategy's place in the registry: its colour and marker
	// on every chart.
	Order int `json:"order"`
	// Resumable: it records its progress with each batch and, started
	// again, goes on from there.
	Resumable bool `json:"resumable,omitempty"`
	// InDatabase: its calculation runs in SQL and moves no row to the
	// client.
	InDatabase bool `json:"in_database,omitempty"`
	// BulkOf names the per-row strategy whose writes this one batches.
	BulkOf string `json:"bulk_of,omitempty"`
	// Paging is how it reads page by page: PagingOffset, PagingKeyset or "".
	Paging string `json:"paging,omitempty"`
	// Layer is what its reads and writes went through: LayerDriver for a
	// strategy's driver form; "" (GORM) for the others.
	Layer string `json:"layer,omitempty"`
	// LayerOf names the strategy of which this one is the driver form.
	LayerOf string `json:"layer_of,omitempty"`
}

// The layers a strategy's reads and writes go through (Run.Layer).
const (
	LayerGORM   = "gorm"
	LayerDriver = "driver"
)

// How a strategy pages (Roles.Paging).
const (
	PagingOffset = "offset" // LIMIT n OFFSET k: re-reads every skipped row
	PagingKeyset = "keyset" // WHERE id > last LIMIT n: seeks
)

// RolesOf returns the recorded roles of the strategy called name.
func (s *Summary) RolesOf(name string) Roles {
	st, _ := s.Lookup(name)
	return st.Roles
}

// BulkTwinOf returns the strategy of s that batches the writes of the
// per-row strategy perRow.
func (s *Summary) BulkTwinOf(perRow string) (Strategy, bool) {
	for _, st := range s.Strategies {
		if st.Roles.BulkOf == perRow {
			return st, true
		}
	}
	return Strategy{}, false
}

// BulkPager returns the bulk strategy of s (one with a per-row twin) that
// pages as paging.
func (s *Summary) BulkPager(paging string) (Strategy, bool) {
	for _, st := range s.Strategies {
		if st.Roles.BulkOf != "" && st.Roles.Paging == paging {
			return st, true
		}
	}
	return Strategy{}, false
}

// Stat is the median, minimum and maximum of a set of values.
type Stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// NewStat summarises xs; it is zero for no values.
func NewStat(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Stat{Median: med, Min: s[0], Max: s[n-1]}
}

// Aggregate summarises runs per strategy, in the order of names (strategies
// without runs are left out); descriptions are looked up in desc.
func Aggregate(runs []Run, names []string, desc map[string]string) []Strategy {
	var out []Strategy
	for _, name := range names {
		st := Strategy{Name: name, Description: desc[name]}
		var peaks, anons, durs, rates, p99s []float64
		for _, r := range runs {
			if r.Strategy != name {
				continue
			}
			if r.Resume != nil {
				if r.Status == StatusOK {
					st.Resumes++
				}
				continue
			}
			st.Runs++
			if r.Status != StatusOK {
				continue
			}
			st.OK++
			if r.Probe != nil {
				p99s = append(p99s, r.Probe.P99Ms)
			}
			peaks = append(peaks, float64(r.PeakRSSBytes))
			anons = append(anons, float64(r.AnonPeakBytes))
			durs = append(durs, r.DurationSeconds)
			rates = append(rates, r.RowsPerSecond())
			if st.RowsVerified == 0 || r.RowsVerified < st.RowsVerified {
				st.RowsVerified = r.RowsVerified
			}
			st.WrongRows += r.WrongRows
		}
		if st.Runs == 0 {
			continue
		}
		st.PeakRSSBytes = NewStat(peaks)
		st.AnonPeakBytes = NewStat(anons)
		st.DurationSeconds = NewStat(durs)
		st.RowsPerSecond = NewStat(rates).Median
		st.ProbeP99Ms = NewStat(p99s)
		out = append(out, st)
	}
	return out
}

// Lookup returns the aggregate for the named strategy.
func (s *Summary) Lookup(name string) (Strategy, bool) {
	i := slices.IndexFunc(s.Strategies, func(st Strategy) bool { return st.Name == name })
	if i < 0 {
		return Strategy{}, false
	}
	return s.Strategies[i], true
}

// MedianRun returns the ok run of strategy whose peak RSS is the median of
// its ok runs (the lower one for an even count), for drawing one
// representative curve.
func (s *Summary) MedianRun(strategy string) (Run, bool) {
	var ok []Run
	for _, r := range s.Runs {
		if r.Strategy == strategy && r.Status == StatusOK && r.Resume == nil {
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		return Run{}, false
	}
	slices.SortStableFunc(ok, func(a, b Run) int { return cmp.Compare(a.PeakRSSBytes, b.PeakRSSBytes) })
	return ok[(len(ok)-1)/2], true
}

// StrategyNames returns the names of the strategies aggregated in any of
// ss, in order of first appearance.
func StrategyNames(ss []*Summary) []string {
	var names []string
	for _, s := range ss {
		for _, st := range s.Strategies {
			if !slices.Contains(names, st.Name) {
				names = append(names, st.Name)
			}
		}
	}
	return names
}

// Job describes the backfill a user's results measured.
type Job struct {
	// Name is the job's name.
	Name string `json:"name"`
	// Table is the source table, only read.
	Table string `json:"table"`
	// Copy is the table the strategies wrote, made afresh from Table
	// before every run.
	Copy string `json:"copy"`
	// Key, Read and Write are the job's key, the columns it reads, and
	// those it computes and writes.
	Key   []string `json:"key"`
	Read  []string `json:"read"`
	Write []string `json:"write"`
	// Scoped is set when the job backfills only the rows of a scope.
	Scoped bool `json:"scoped,omitempty"`
	// SQL lists the databases the job gives its calculation in SQL for.
	SQL []string `json:"sql,omitempty"`
}

// Batches describes the batches of a run of a strategy that sizes them:
// their number, their own time (read, computation and write), their sizes,
// and the throttle's pauses.
type Batches struct {
	Count        int64   `json:"count"`
	SecondsP50   float64 `json:"seconds_p50"`
	SecondsP99   float64 `json:"seconds_p99"`
	SecondsMax   float64 `json:"seconds_max"`
	RowsMin      int     `json:"rows_min"`
	RowsMax      int     `json:"rows_max"`
	Pauses       int     `json:"pauses,omitempty"`
	PauseSeconds float64 `json:"pause_seconds,omitempty"`
}
