// Package worker is the lean worker process: it opens the database, runs one
// strategy (or, for the baseline, nothing) and reports its progress and
// result as JSON lines on stdout. It links what a real backfill job links
// (GORM, the drivers, the strategies) and nothing of the harness, so that its
// memory is the memory such a job would use. cmd/iterbench-worker is its
// main; package bench starts it and reads what it reports.
package worker

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"iterbench/database"
	"iterbench/strategies"
)

// DSNEnv carries the DSN to a worker started as a local process, so that it
// never appears in a process listing. A worker in a container reads it from
// the file named by -dsn-file (a FIFO) instead, so that it is not stored in
// the container's configuration either.
const DSNEnv = "ITERBENCH_WORKER_DSN"

// GOMEMLIMIT settings of a Job besides a size in bytes.
const (
	// MemLimitOff leaves the Go runtime without a soft memory limit, as a
	// plain Go program runs.
	MemLimitOff = "off"
	// MemLimitAuto sets the limit to 90 % of the cgroup's memory limit,
	// found by github.com/KimMachineGun/automemlimit.
	MemLimitAuto = "auto"
)

// Job is what one worker does.
type Job struct {
	Kind database.Kind
	// DSN is not passed on the command line: see DSNEnv and DSNFile.
	DSN string
	// DSNFile, if set, is the file the worker reads its DSN from.
	DSNFile string
	// Strategy is the strategy to run; empty for the baseline worker, which
	// only opens the database and holds it for Hold.
	Strategy string
	Batch    int
	BulkForm strategies.BulkForm
	Workers  int
	Hold     time.Duration
	// Touch, for the baseline worker, is a number of bytes it allocates,
	// writes and keeps until it exits: a known amount of memory against
	// which the measurements are calibrated.
	Touch uint64
	// GoMemLimit is MemLimitOff, MemLimitAuto, or a size in bytes.
	GoMemLimit string
	// Resume makes a resumable strategy continue from its recorded
	// progress.
	Resume bool
}

// Args returns the command line that makes a worker run j (without the DSN).
func (j Job) Args() []string {
	args := []string{
		"-db", string(j.Kind),
		"-strategy", j.Strategy,
		"-batch", strconv.Itoa(j.Batch),
		"-bulk-form", string(j.BulkForm),
		"-workers", strconv.Itoa(j.Workers),
		"-hold", j.Hold.String(),
		"-touch", strconv.FormatUint(j.Touch, 10),
	}
	if j.Resume {
		args = append(args, "-resume")
	}
	if j.GoMemLimit != "" {
		args = append(args, "-gomemlimit", j.GoMemLimit)
	}
	if j.DSNFile != "" {
		args = append(args, "-dsn-file", j.DSNFile)
	}
	return args
}

// parseJob parses what Args wrote.
func parseJob(args []string, stderr io.Writer) (Job, error) {
	fs := flag.NewFlagSet("iterbench-worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var j Job
	var kind, form string
	fs.StringVar(&kind, "db", "sqlite", "database kind")
	fs.StringVar(&j.Strategy, "strategy", "", "strategy to run; empty for the baseline")
	fs.IntVar(&j.Batch, "batch", strategies.DefaultBatchSize, "batch size")
	fs.StringVar(&form, "bulk-form", "", "bulk-update form")
	fs.IntVar(&j.Workers, "workers", strategies.DefaultWorkers, "workers of parallel strategies")
	fs.DurationVar(&j.Hold, "hold", 0, "how long the baseline worker stays up")
	fs.Uint64Var(&j.Touch, "touch", 0, "bytes the baseline worker allocates and holds (calibration)")
	fs.StringVar(&j.GoMemLimit, "gomemlimit", MemLimitOff, "off, auto (90 % of the cgroup's limit) or a size in bytes")
	fs.BoolVar(&j.Resume, "resume", false, "continue from the strategy's recorded progress, if it can")
	fs.StringVar(&j.DSNFile, "dsn-file", "", "read the DSN from this file instead of $"+DSNEnv)
	if err := fs.Parse(args); err != nil {
		return j, err
	}
	if fs.NArg() > 0 {
		return j, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	j.Kind, j.BulkForm = database.Kind(kind), strategies.BulkForm(form)
	return j, nil
}
