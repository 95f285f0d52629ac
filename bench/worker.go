package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"iterbench/database"
	"iterbench/rss"
	"iterbench/strategies"
	"iterbench/summary"
)

// WorkerEnv is set to "1" in the environment of worker processes: a binary
// that finds it set must call WorkerMain instead of its usual main.
const WorkerEnv = "ITERBENCH_WORKER"

// workerDSNEnv carries the DSN to a worker, so that it never appears in a
// process listing.
const workerDSNEnv = "ITERBENCH_WORKER_DSN"

// IsWorker reports whether this process was started as a worker.
func IsWorker() bool { return os.Getenv(WorkerEnv) == "1" }

// Launcher starts worker processes: Path is an executable that calls
// WorkerMain when IsWorker is true, normally the running binary itself.
type Launcher struct {
	Path string
}

// SelfLauncher returns a Launcher that starts the running binary.
func SelfLauncher() (Launcher, error) {
	exe, err := os.Executable()
	if err != nil {
		return Launcher{}, fmt.Errorf("find own executable: %w", err)
	}
	return Launcher{Path: exe}, nil
}

// job is what one worker does.
type job struct {
	Kind     database.Kind
	DSN      string
	Strategy string // empty: the baseline worker, which only opens the database
	Batch    int
	BulkForm strategies.BulkForm
	Workers  int
	// Hold keeps the baseline worker alive long enough to be sampled.
	Hold time.Duration
}

func (j job) args() []string {
	return []string{
		"-db", string(j.Kind),
		"-strategy", j.Strategy,
		"-batch", strconv.Itoa(j.Batch),
		"-bulk-form", string(j.BulkForm),
		"-workers", strconv.Itoa(j.Workers),
		"-hold", j.Hold.String(),
	}
}

// message is one line a worker writes to its stdout.
type message struct {
	// Progress is the number of rows done so far.
	Progress *int64 `json:"progress,omitempty"`
	// Done is the worker's last message.
	Done *result `json:"done,omitempty"`
}

// result is what a worker reports when it finishes.
type result struct {
	Stats           strategies.Stats `json:"stats"`
	DurationSeconds float64          `json:"duration_seconds"`
	// HWM is the worker's VmHWM as it finished.
	HWM   uint64 `json:"hwm_bytes"`
	Error string `json:"error,omitempty"`
}

// WorkerMain is the entry point of a worker process: it runs one strategy
// (or, with no strategy, only opens the database) and reports progress and
// its result as JSON lines on stdout. It returns the process exit code.
func WorkerMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("iterbench worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var j job
	var kind, form string
	fs.StringVar(&kind, "db", "sqlite", "database kind")
	fs.StringVar(&j.Strategy, "strategy", "", "strategy to run; empty for the baseline")
	fs.IntVar(&j.Batch, "batch", strategies.DefaultBatchSize, "batch size")
	fs.StringVar(&form, "bulk-form", "", "bulk-update form")
	fs.IntVar(&j.Workers, "workers", strategies.DefaultWorkers, "workers of parallel strategies")
	fs.DurationVar(&j.Hold, "hold", 0, "how long the baseline worker stays up")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	j.Kind, j.BulkForm, j.DSN = database.Kind(kind), strategies.BulkForm(form), os.Getenv(workerDSNEnv)

	var mu sync.Mutex
	enc := json.NewEncoder(stdout)
	send := func(m message) {
		mu.Lock()
		defer mu.Unlock()
		enc.Encode(m)
	}
	res := work(ctx, j, func(done int64) { send(message{Progress: &done}) })
	if u, err := rss.Self(); err == nil {
		res.HWM = u.HWM
	}
	send(message{Done: &res})
	if res.Error != "" {
		fmt.Fprintln(stderr, res.Error)
		return 1
	}
	return 0
}

func work(ctx context.Context, j job, progress func(int64)) result {
	var res result
	db, err := database.Open(ctx, j.Kind, j.DSN)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer database.Close(db)
	if j.Strategy == "" {
		var n int64
		err := db.WithContext(ctx).Raw("SELECT 1").Scan(&n).Error
		if err == nil {
			time.Sleep(j.Hold)
		} else {
			res.Error = err.Error()
		}
		return res
	}
	s, err := strategies.Lookup(j.Strategy)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	start := time.Now()
	res.Stats, err = s.Run(ctx, db, strategies.Config{BatchSize: j.Batch, BulkForm: j.BulkForm, Workers: j.Workers, Progress: progress})
	res.DurationSeconds = time.Since(start).Seconds()
	if err != nil {
		res.Error = err.Error()
	}
	return res
}

// limits are what the parent enforces on a worker.
type limits struct {
	// Interval is the RSS sampling interval.
	Interval time.Duration
	// RSS, if not zero, is the RSS in bytes above which the worker is
	// killed, as a container's memory limit would have it killed.
	RSS uint64
	// Timeout, if not zero, is how long the worker may run.
	Timeout time.Duration
}

// outcome is what the parent learned about one worker.
type outcome struct {
	result
	// Reported is false when the worker ended without its final message.
	Reported bool
	// Progress is the last number of rows the worker reported done.
	Progress int64
	Samples  []rss.Sample
	Wall     time.Duration
	// RusageMaxRSS is wait4's ru_maxrss in bytes.
	RusageMaxRSS uint64
	// Killed is set when the worker crossed the RSS limit, at KilledAt.
	Killed   bool
	KilledAt time.Duration
	// TimedOut is set when the worker ran out of time.
	TimedOut bool
	// Err describes how the worker failed, if it did.
	Err error
}

// spawn runs one worker to completion, sampling its RSS at lim.Interval and
// killing it when it crosses lim.RSS or outlives lim.Timeout. onProgress,
// if set, receives the worker's progress reports. When ctx is cancelled
// the worker is killed.
func spawn(ctx context.Context, l Launcher, j job, lim limits, onProgress func(int64)) outcome {
	var out outcome
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if lim.Timeout > 0 {
		var stop context.CancelFunc
		runCtx, stop = context.WithTimeoutCause(runCtx, lim.Timeout, errTimeout)
		defer stop()
	}
	cmd := exec.CommandContext(runCtx, l.Path, j.args()...)
	cmd.Env = append(os.Environ(), WorkerEnv+"=1", workerDSNEnv+"="+j.DSN)
	// A process group of its own: a Ctrl-C in the terminal reaches only the
	// parent, which then stops the worker itself.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var stderr tailBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		out.Err = err
		return out
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		out.Err = fmt.Errorf("start worker: %w", err)
		return out
	}
	read, err := rss.ProcReader(cmd.Process.Pid)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		out.Err = err
		return out
	}
	sampleCtx, stopSampling := context.WithCancel(context.Background())
	defer stopSampling()
	sampled := make(chan error, 1)
	var killedAt time.Duration
	onSample := func(x rss.Sample) {
		if lim.RSS > 0 && x.Usage.RSS > lim.RSS && killedAt == 0 {
			killedAt = x.T
			cancel(errKilled) // kills the worker: exec.CommandContext
		}
	}
	go func() {
		var err error
		out.Samples, err = (&rss.Sampler{Interval: lim.Interval, Read: read, OnSample: onSample}).Run(sampleCtx)
		sampled <- err
	}()

	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var m message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			continue // not ours; the worker's stdout is only for messages
		}
		switch {
		case m.Progress != nil:
			out.Progress = *m.Progress
			if onProgress != nil {
				onProgress(*m.Progress)
			}
		case m.Done != nil:
			out.result, out.Reported = *m.Done, true
		}
	}
	waitErr := cmd.Wait()
	out.Wall = time.Since(start)
	stopSampling()
	if err := <-sampled; err != nil && out.Err == nil {
		out.Err = fmt.Errorf("sample RSS: %w", err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		out.RusageMaxRSS = uint64(ru.Maxrss) * 1024
	}
	switch {
	case ctx.Err() != nil:
		out.Err = context.Cause(ctx)
	case errors.Is(context.Cause(runCtx), errKilled):
		out.Killed, out.KilledAt = true, killedAt
		out.Err = fmt.Errorf("killed at %.2f s: RSS crossed the limit of %s", killedAt.Seconds(), summary.MiB(float64(lim.RSS)))
	case errors.Is(context.Cause(runCtx), errTimeout):
		out.TimedOut = true
		out.Err = fmt.Errorf("stopped after the time limit of %v", lim.Timeout)
	case out.Error != "":
		out.Err = errors.New(out.Error)
	case waitErr != nil:
		msg := stderr.String()
		if msg == "" {
			msg = waitErr.Error()
		}
		out.Err = fmt.Errorf("worker failed: %s", msg)
	case !out.Reported:
		out.Err = errors.New("worker exited without reporting a result")
	}
	return out
}

var (
	errKilled  = errors.New("RSS limit crossed")
	errTimeout = errors.New("time limit reached")
)

// tailBuffer keeps the last few KiB written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 4096

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailMax {
		t.buf = t.buf[len(t.buf)-tailMax:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := string(t.buf)
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}
