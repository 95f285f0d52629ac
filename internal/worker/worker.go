package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/metrics"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
	"github.com/iterbench/iterbench/internal/rss"
	"github.com/iterbench/iterbench/internal/strategies"
)

// Message is one line a worker writes to its stdout.
type Message struct {
	// Start is the worker's first message, once its settings are applied.
	Start *Start `json:"start,omitempty"`
	// Progress is the number of rows done so far.
	Progress *int64 `json:"progress,omitempty"`
	// Resume, sent by a worker started with -resume before its strategy
	// begins, is the progress it found recorded.
	Resume *Resume `json:"resume,omitempty"`
	// Done is the worker's last message.
	Done *Result `json:"done,omitempty"`
}

// Start is what a worker reports before it begins: what is known of a
// worker that is killed before it can report its Result.
type Start struct {
	// GoMemLimitBytes is the Go runtime's soft memory limit; 0 for none.
	GoMemLimitBytes uint64 `json:"gomemlimit_bytes,omitempty"`
}

// Resume is what a worker started with -resume found of the progress
// recorded before it (by a worker that was killed): what its strategy, if
// resumable, continues from.
type Resume struct {
	// Progress is the last key recorded under each name of
	// strategies.ProgressTable (one per strategy, or per range of one), as
	// a JSON array; empty when nothing was recorded.
	Progress map[string]json.RawMessage `json:"progress"`
}

// Result is what a worker reports when it finishes.
type Result struct {
	Stats           strategies.Stats `json:"stats"`
	DurationSeconds float64          `json:"duration_seconds"`
	// HWM is the worker's VmHWM as it finished, in bytes.
	HWM uint64 `json:"hwm_bytes"`
	// GoMemLimitBytes is the Go runtime's soft memory limit the worker ran
	// with; 0 for none.
	GoMemLimitBytes uint64 `json:"gomemlimit_bytes,omitempty"`
	// GCCPUSeconds is the CPU time the worker's garbage collector used
	// (runtime/metrics /cpu/classes/gc/total:cpu-seconds, an estimate).
	GCCPUSeconds float64 `json:"gc_cpu_seconds"`
	// CPUSeconds is the CPU time (user and system) the worker's process
	// used while its strategy ran (getrusage), the client's side of the
	// work; on SQLite it includes the database's, which runs in the
	// worker.
	CPUSeconds float64 `json:"cpu_seconds"`
	Error      string  `json:"error,omitempty"`
}

// Main is the worker process's entry point: it runs the job its command line
// describes (one of jobs: a strategy of it, or the baseline) and reports
// progress and its result as JSON lines on stdout. It returns the process
// exit code.
func Main(ctx context.Context, jobs job.Set, args []string, stdout, stderr io.Writer) int {
	j, err := parseJob(args, stderr)
	if err != nil {
		return 2
	}
	var mu sync.Mutex
	enc := json.NewEncoder(stdout)
	send := func(m Message) {
		mu.Lock()
		defer mu.Unlock()
		enc.Encode(m)
	}
	var res Result
	if res.GoMemLimitBytes, err = j.GoMemLimit.apply(); err != nil {
		res.Error = err.Error()
	} else if j.DSN, err = readDSN(j.DSNFile); err != nil {
		res.Error = err.Error()
	} else {
		send(Message{Start: &Start{GoMemLimitBytes: res.GoMemLimitBytes}})
		res = run(ctx, jobs, j, res, send)
	}
	if u, err := rss.Self(); err == nil {
		res.HWM = u.HWM
	}
	res.GCCPUSeconds = gcCPUSeconds()
	send(Message{Done: &res})
	if res.Error != "" {
		fmt.Fprintln(stderr, res.Error)
		return 1
	}
	return 0
}

// readDSN reads the DSN from file, or from $DSNEnv when file is empty.
func readDSN(file string) (string, error) {
	if file == "" {
		return os.Getenv(DSNEnv), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read the DSN: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// gcCPUSeconds returns the CPU time the garbage collector has used so far.
func gcCPUSeconds() float64 {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return s[0].Value.Float64()
}

// run runs j's strategy (or the baseline's hold) and returns res with what
// it did; send reports the progress found recorded, if j resumes, and the
// rows done as the strategy goes.
func run(ctx context.Context, jobs job.Set, j Job, res Result, send func(Message)) Result {
	db, err := database.OpenAs(ctx, j.Kind, j.DSN, database.WorkerApp)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer database.Close(db)
	if j.Strategy == "" {
		var n int64
		if err := db.WithContext(ctx).Raw("SELECT 1").Scan(&n).Error; err != nil {
			res.Error = err.Error()
			return res
		}
		held := touch(j.Touch)
		time.Sleep(j.Hold)
		_ = held[len(held)-1:] // kept until here
		return res
	}
	s, err := strategies.Lookup(j.Strategy)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	bj, err := jobs.Lookup(j.Job)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	if j.Table != "" {
		bj = bj.WithTable(j.Table)
	}
	if j.Resume {
		found, err := strategies.Recorded(ctx, db)
		if err != nil {
			res.Error = err.Error()
			return res
		}
		for name := range found {
			if strings.HasSuffix(name, strategies.BoundsSuffix) {
				delete(found, name) // how the table was split, not progress
			}
		}
		send(Message{Resume: &Resume{Progress: found}})
	}
	progress := func(done int64) { send(Message{Progress: &done}) }
	start, cpu := time.Now(), cpuSeconds()
	ctx, retries := strategies.CountRetries(ctx)
	res.Stats, err = s.Run(ctx, db, strategies.Config{Job: bj, BatchTarget: j.BatchTarget, BatchSize: j.Batch, BulkForm: j.BulkForm, Workers: j.Workers, Resume: j.Resume, Progress: progress})
	res.DurationSeconds = time.Since(start).Seconds()
	res.CPUSeconds = cpuSeconds() - cpu
	res.Stats.Retries = retries.Load()
	if err != nil {
		res.Error = err.Error()
	}
	return res
}

// cpuSeconds is the CPU time, user and system, this process has used so
// far; 0 where getrusage fails.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// touch allocates n bytes and writes every page of them, so that all of
// them are resident.
func touch(n uint64) []byte {
	b := make([]byte, n+1)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	return b
}
