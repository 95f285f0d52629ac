package worker

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/iterbench/iterbench/internal/rss"
)

// Launcher starts worker processes. Local starts them as child processes;
// package container starts each in a container of its own under a memory
// limit.
type Launcher interface {
	// Start starts a worker that runs j.
	Start(ctx context.Context, j Job) (Process, error)
	// Close releases what the launcher holds; the processes it started
	// must have been waited for.
	Close() error
}

// Process is a started worker.
type Process interface {
	// Pid is the worker's process id on this host, for reading
	// /proc/PID/status; 0 when it ended before it could be found.
	Pid() int
	// Cgroup returns the worker's own memory cgroup, if it has one.
	Cgroup() (rss.Cgroup, bool)
	// Output is the worker's stdout, where it writes its messages. It
	// ends when the worker ends.
	Output() io.Reader
	// Kill ends the worker at once (SIGKILL).
	Kill() error
	// Wait waits for the worker to end, once Output has been read to its
	// end, and releases what it held.
	Wait() Exit
}

// Exit is how a worker ended.
type Exit struct {
	// Code is the exit code; 128 plus the signal for a worker ended by a
	// signal (137 for SIGKILL, as Kubernetes reports an OOM kill).
	Code int
	// OOMKilled is set when the kernel's OOM killer ended a process of the
	// worker's cgroup (Docker's State.OOMKilled).
	OOMKilled bool
	// Ran is how long the worker ran as its runtime measured it (Docker's
	// StartedAt to FinishedAt); zero when not known.
	Ran time.Duration
	// Stderr is the end of what the worker wrote to stderr: its last words.
	Stderr string
	// MaxRSS is wait4's ru_maxrss in bytes, for a local process. On Linux it
	// also counts the parent's RSS at the time of exec: for reference only.
	MaxRSS uint64
	// Err is set when the worker could not be waited for.
	Err error
}

// Local starts workers as child processes of this one, from a private copy
// of the worker binary (see NewLocal).
type Local struct {
	// Path is the worker executable.
	Path string
	// Args, if set, are its arguments, and the job goes in $ITERBENCH_WORKER_JOB
	// (JobEnv) instead of -job: a test binary that is also the worker (see
	// iterbench.Main) takes the flags that select its benchmark.
	Args []string
	dir  string // the copy's folder, removed by Close
}

// NewLocal returns a Local launcher that runs a copy of the executable at
// path. The copy makes the worker's file-backed memory the same from run to
// run: the same binary run where the linker wrote it had 16 MiB of
// file-backed pages, 11 MiB as a copy (the page cache holds a freshly linked
// file differently), while its anonymous memory was the same.
func NewLocal(path string) (*Local, error) {
	dir, err := os.MkdirTemp("", "iterbench-worker-")
	if err != nil {
		return nil, fmt.Errorf("copy the worker: %w", err)
	}
	cp, err := CopyBinary(path, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &Local{Path: cp, dir: dir}, nil
}

// Close removes the copy of the binary.
func (l *Local) Close() error {
	if l.dir == "" {
		return nil
	}
	return os.RemoveAll(l.dir)
}

// Start implements Launcher.
func (l *Local) Start(ctx context.Context, j Job) (Process, error) {
	cmd := exec.Command(l.Path, j.Args()...)
	cmd.Env = append(os.Environ(), DSNEnv+"="+j.DSN)
	if l.Args != nil {
		cmd = exec.Command(l.Path, l.Args...)
		cmd.Env = append(os.Environ(), DSNEnv+"="+j.DSN, JobEnv+"="+j.Args()[1])
	}
	// A process group of its own: a Ctrl-C in the terminal reaches only the
	// parent, which then stops the worker itself; and the worker dies with
	// the parent.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &localProcess{cmd: cmd}
	cmd.Stderr = &p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.out = out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start worker %s: %w", l.Path, err)
	}
	return p, nil
}

type localProcess struct {
	cmd    *exec.Cmd
	out    io.Reader
	stderr TailBuffer
}

func (p *localProcess) Pid() int                   { return p.cmd.Process.Pid }
func (p *localProcess) Cgroup() (rss.Cgroup, bool) { return rss.Cgroup{}, false }
func (p *localProcess) Output() io.Reader          { return p.out }
func (p *localProcess) Kill() error                { return p.cmd.Process.Kill() }

func (p *localProcess) Wait() Exit {
	err := p.cmd.Wait()
	e := Exit{Stderr: p.stderr.String()}
	st := p.cmd.ProcessState
	if st == nil {
		e.Err = err
		return e
	}
	e.Code = st.ExitCode()
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		e.Code = 128 + int(ws.Signal())
	}
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		e.MaxRSS = uint64(ru.Maxrss) * 1024
	}
	return e
}

// TailBuffer keeps the last few KiB written to it.
type TailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 4096

// Write implements io.Writer.
func (t *TailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailMax {
		t.buf = t.buf[len(t.buf)-tailMax:]
	}
	return len(p), nil
}

// String returns what was kept, without trailing blanks.
func (t *TailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := string(t.buf)
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}
