// Package worker is the lean worker process: it opens the database, runs one
// strategy (or, for the baseline, nothing) and reports its progress and
// result as JSON lines on stdout. It links what a real backfill job links
// (GORM, the drivers, the strategies) and nothing of the harness, so that its
// memory is the memory such a job would use. cmd/iterbench-worker is its
// main; package bench starts it and reads what it reports.
package worker

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/strategies"
)

// DSNEnv carries the DSN to a worker started as a local process, so that it
// never appears in a process listing. A worker in a container reads it from
// the file named by -dsn-file (a FIFO) instead, so that it is not stored in
// the container's configuration either.
const DSNEnv = "ITERBENCH_WORKER_DSN"

// GOMEMLIMIT settings on iterbench's command line besides a size (see
// MemLimit).
const (
	// MemLimitOff leaves the Go runtime without a soft memory limit, as a
	// plain Go program runs.
	MemLimitOff = "off"
	// MemLimitAuto sets the limit to MemLimitRatio of the cgroup's memory
	// limit, found by github.com/KimMachineGun/automemlimit.
	MemLimitAuto = "auto"
)

// JobFlag is the worker's one command-line flag: the job, as JSON.
const JobFlag = "job"

// JobEnv, in a worker's environment, holds its job instead of the -job
// flag (see Local.Args).
const JobEnv = "ITERBENCH_WORKER_JOB"

// Job is what one worker does. It reaches the worker as one JSON value
// (Args), all of it but the DSN.
type Job struct {
	Kind database.Kind `json:"db"`
	// DSN is not passed on the command line: see DSNEnv and DSNFile.
	DSN string `json:"-"`
	// DSNFile, if set, is the file the worker reads its DSN from.
	DSNFile string `json:"dsn_file,omitempty"`
	// Strategy is the strategy to run; empty for the baseline worker, which
	// only opens the database and holds it for Hold.
	Strategy string `json:"strategy,omitempty"`
	// Job names the job the strategy runs, among those the worker binary
	// knows; empty: its first (the worker binary's own, items).
	Job string `json:"job,omitempty"`
	// Table, if set, is the table the job works on instead of its own (the
	// copy iterbench measures on).
	Table    string              `json:"table,omitempty"`
	Batch    int                 `json:"batch,omitempty"`
	BulkForm strategies.BulkForm `json:"bulk_form,omitempty"`
	Workers  int                 `json:"workers,omitempty"`
	// BatchTarget is the time keyset-adaptive's batches aim at.
	BatchTarget time.Duration `json:"batch_target,omitempty"`
	Hold        time.Duration `json:"hold,omitempty"`
	// Touch, for the baseline worker, is a number of bytes it allocates,
	// writes and keeps until it exits: a known amount of memory against
	// which the measurements are calibrated.
	Touch uint64 `json:"touch,omitempty"`
	// GoMemLimit is the worker's GOMEMLIMIT, resolved by the parent.
	GoMemLimit MemLimit `json:"gomemlimit,omitzero"`
	// Resume makes a resumable strategy continue from its recorded
	// progress.
	Resume bool `json:"resume,omitempty"`
}

// Args returns the command line that makes a worker run j: -job and j as
// JSON, without the DSN.
func (j Job) Args() []string {
	b, err := json.Marshal(j)
	if err != nil {
		panic(fmt.Sprintf("encode a worker's job: %v", err)) // a Job always encodes
	}
	return []string{"-" + JobFlag, string(b)}
}

// parseJob decodes what Args wrote.
func parseJob(args []string, stderr io.Writer) (Job, error) {
	fs := flag.NewFlagSet("iterbench-worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	text := fs.String(JobFlag, "{}", "the job, as JSON (see worker.Job); the DSN comes from $"+DSNEnv+" or the job's dsn_file")
	if err := fs.Parse(args); err != nil {
		return Job{}, err
	}
	if fs.NArg() > 0 {
		return Job{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var j Job
	dec := json.NewDecoder(strings.NewReader(*text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		err = fmt.Errorf("decode -%s: %w", JobFlag, err)
		fmt.Fprintln(stderr, err)
		return Job{}, err
	}
	if j.Kind == "" {
		j.Kind = database.SQLite
	}
	return j, nil
}
