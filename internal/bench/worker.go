package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/iterbench/iterbench/internal/rss"
	"github.com/iterbench/iterbench/internal/units"
	"github.com/iterbench/iterbench/internal/worker"
)

// limits are what the parent enforces on a worker.
type limits struct {
	// Interval is the RSS sampling interval.
	Interval time.Duration
	// RSS, if not zero, is the RSS in bytes above which the parent kills the
	// worker: an emulation of a container's memory limit (--rss-limit).
	RSS uint64
	// Timeout, if not zero, is how long the worker may run.
	Timeout time.Duration
	// Memory, if not zero, is the memory limit of the worker's container,
	// which the kernel enforces.
	Memory uint64
	// KillAtRows, if not zero, kills the worker once it reports that many
	// rows done (--kill-at).
	KillAtRows int64
}

// outcome is what the parent learned about one worker.
type outcome struct {
	worker.Result
	// Reported is false when the worker ended without its final message.
	Reported bool
	// Progress is the last number of rows the worker reported done.
	Progress int64
	// ResumedFrom is the progress a worker started with Job.Resume found
	// recorded (the last key under each name); nil when it reported none.
	ResumedFrom map[string]json.RawMessage
	Samples     []rss.Sample
	Wall        time.Duration
	Exit        worker.Exit
	// Killed is set when the parent killed the worker for crossing the RSS
	// limit, at KilledAt.
	Killed   bool
	KilledAt time.Duration
	// OOMKilled is set when the kernel's OOM killer ended the worker, at
	// KilledAt.
	OOMKilled bool
	// TimedOut is set when the worker ran out of time.
	TimedOut bool
	// KilledOnPurpose is set when the parent killed the worker at
	// lim.KillAtRows, and the worker had not finished; KilledAt says when.
	KilledOnPurpose bool
	// Err describes how the worker failed, if it did.
	Err error
}

// spawn runs one worker to completion, sampling its memory at lim.Interval
// and killing it when it crosses lim.RSS or outlives lim.Timeout.
// onProgress, if set, receives the worker's progress reports. When ctx is
// cancelled the worker is killed.
func spawn(ctx context.Context, l worker.Launcher, j worker.Job, lim limits, onProgress func(int64)) outcome {
	var out outcome
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if lim.Timeout > 0 {
		var stop context.CancelFunc
		runCtx, stop = context.WithTimeoutCause(runCtx, lim.Timeout, errTimeout)
		defer stop()
	}
	start := time.Now()
	p, err := l.Start(runCtx, j)
	if err != nil {
		out.Err = err
		return out
	}
	// Kill the worker when runCtx ends: a limit crossed, time up, or the
	// user's Ctrl-C.
	exited := make(chan struct{})
	defer close(exited)
	go func() {
		select {
		case <-runCtx.Done():
			p.Kill()
		case <-exited:
		}
	}()

	sampled := make(chan error, 1)
	sampleCtx, stopSampling := context.WithCancel(context.Background())
	defer stopSampling()
	if pid := p.Pid(); pid > 0 {
		read, err := rss.ProcReader(pid)
		if err == nil {
			if cg, ok := p.Cgroup(); ok {
				read = rss.WithCgroup(read, cg)
			}
		}
		onSample := func(x rss.Sample) {
			if lim.RSS > 0 && x.Usage.RSS > lim.RSS && out.KilledAt == 0 {
				out.KilledAt = x.T // read only once sampling has ended
				cancel(errKilled)
			}
		}
		go func() {
			if err != nil {
				sampled <- err
				return
			}
			var serr error
			out.Samples, serr = (&rss.Sampler{Interval: lim.Interval, Read: read, OnSample: onSample}).Run(sampleCtx)
			sampled <- serr
		}()
	} else {
		sampled <- nil
	}

	sc := bufio.NewScanner(p.Output())
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var m worker.Message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			continue // not ours; the worker's stdout is only for messages
		}
		switch {
		case m.Start != nil:
			out.GoMemLimitBytes = m.Start.GoMemLimitBytes
		case m.Resume != nil:
			out.ResumedFrom = m.Resume.Progress
		case m.Progress != nil:
			out.Progress = *m.Progress
			if onProgress != nil {
				onProgress(*m.Progress)
			}
			if lim.KillAtRows > 0 && out.Progress >= lim.KillAtRows && context.Cause(runCtx) == nil {
				out.KilledAt = time.Since(start)
				cancel(errKillAt)
			}
		case m.Done != nil:
			out.Result, out.Reported = *m.Done, true
		}
	}
	out.Exit = p.Wait()
	out.Wall = time.Since(start)
	stopSampling()
	if err := <-sampled; err != nil && out.Err == nil {
		out.Err = fmt.Errorf("sample RSS: %w", err)
	}
	switch {
	case ctx.Err() != nil:
		out.Err = context.Cause(ctx)
	case out.Exit.OOMKilled, oomWithoutFlag(out, lim, runCtx):
		out.OOMKilled = true
		out.KilledAt = out.Exit.Ran
		if out.KilledAt == 0 {
			out.KilledAt = out.Wall
		}
		out.Err = fmt.Errorf("killed by the kernel's OOM killer at %.2f s (exit code %d): the container's memory limit was reached",
			out.KilledAt.Seconds(), out.Exit.Code)
		if !out.Exit.OOMKilled {
			out.Err = fmt.Errorf("%w (Docker did not flag it OOMKilled: SIGKILL with the container's charge at its limit)", out.Err)
		}
	case errors.Is(context.Cause(runCtx), errKilled):
		out.Killed = true
		out.Err = fmt.Errorf("killed at %.2f s: RSS crossed the limit of %s", out.KilledAt.Seconds(), units.MiB(float64(lim.RSS)))
	case errors.Is(context.Cause(runCtx), errKillAt):
		if !out.Reported || out.Exit.Code != 0 {
			out.KilledOnPurpose = true
		} else if out.Error != "" {
			out.Err = errors.New(out.Error)
		}
	case errors.Is(context.Cause(runCtx), errTimeout):
		out.TimedOut = true
		out.Err = fmt.Errorf("stopped after the time limit of %v", lim.Timeout)
	case out.Exit.Err != nil:
		out.Err = fmt.Errorf("wait for the worker: %w", out.Exit.Err)
	case out.Error != "":
		out.Err = errors.New(out.Error)
	case out.Exit.Code != 0:
		msg := out.Exit.Stderr
		switch {
		case msg == "" && out.Exit.Code > 128:
			msg = fmt.Sprintf("ended by signal %d from outside (exit code %d)", out.Exit.Code-128, out.Exit.Code)
		case msg == "":
			msg = fmt.Sprintf("exit code %d", out.Exit.Code)
		}
		out.Err = fmt.Errorf("worker failed: %s", msg)
	case !out.Reported:
		out.Err = errors.New("worker exited without reporting a result")
	}
	return out
}

// oomWithoutFlag reports an OOM kill that Docker did not flag: Docker sets
// OOMKilled from an event that can arrive after the container's exit is
// recorded. A worker in a limited container that nobody here killed, ended
// by SIGKILL while its container's charge was at the limit (within 2 %), was
// killed by the kernel.
func oomWithoutFlag(out outcome, lim limits, runCtx context.Context) bool {
	if lim.Memory == 0 || out.Exit.Code != 137 || context.Cause(runCtx) != nil {
		return false
	}
	return float64(rss.PeaksOf(out.Samples).Cgroup) >= 0.98*float64(lim.Memory)
}

var (
	errKilled  = errors.New("RSS limit crossed")
	errTimeout = errors.New("time limit reached")
	errKillAt  = errors.New("killed at --kill-at")
)
