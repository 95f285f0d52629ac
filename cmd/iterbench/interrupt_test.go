package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"

	"github.com/iterbench/iterbench/internal/summary"
)

// playCLIEnv makes TestPlayCLI run iterbench's main with the arguments
// after "--", as the iterbench executable does.
const playCLIEnv = "ITERBENCH_TEST_PLAY_CLI"

// TestPlayCLI is not a test: the tests that need iterbench as a process of
// its own (signals, a terminal, a fresh environment) start the test binary
// with $ITERBENCH_TEST_PLAY_CLI set, and this runs main, which exits.
func TestPlayCLI(t *testing.T) {
	if os.Getenv(playCLIEnv) == "" {
		t.Skip("plays iterbench for the tests that start it as a process")
	}
	os.Args = append([]string{"iterbench"}, flag.Args()...)
	main()
}

// cliCommand returns the command that runs iterbench with args in a process
// of its own (the test binary playing it, see TestPlayCLI).
func cliCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{"-test.run=^TestPlayCLI$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), playCLIEnv+"=1")
	return cmd
}

// terminal is a pseudo-terminal: the test holds its master side, iterbench
// gets the other as its controlling terminal.
type terminal struct {
	master, slave *os.File

	mu     sync.Mutex
	screen bytes.Buffer  // everything written to the terminal so far
	more   chan struct{} // signalled after each read
	closed chan struct{} // closed when the master reads no more
}

// openTerminal opens a pseudo-terminal and starts reading what is written
// to it; it is closed with the test.
func openTerminal(t *testing.T) *terminal {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		t.Fatalf("unlock the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		t.Fatalf("name the pseudo-terminal: %v", err)
	}
	slave, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		t.Fatalf("open the pseudo-terminal's other side: %v", err)
	}
	tm := &terminal{master: master, slave: slave, more: make(chan struct{}, 1), closed: make(chan struct{})}
	go func() {
		defer close(tm.closed)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			tm.mu.Lock()
			tm.screen.Write(buf[:n])
			tm.mu.Unlock()
			select {
			case tm.more <- struct{}{}:
			default:
			}
			if err != nil {
				return // EIO once no process holds the other side
			}
		}
	}()
	t.Cleanup(func() {
		slave.Close()
		master.Close()
		<-tm.closed
	})
	return tm
}

// text returns everything written to the terminal so far.
func (tm *terminal) text() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.screen.String()
}

// waitFor waits until the terminal shows what re matches, and returns the
// match's submatches; nil when the deadline passes or the terminal closes
// first.
func (tm *terminal) waitFor(re *regexp.Regexp, deadline time.Duration) []string {
	timeout := time.After(deadline)
	for {
		if m := re.FindStringSubmatch(tm.text()); m != nil {
			return m
		}
		select {
		case <-tm.more:
		case <-tm.closed:
			return re.FindStringSubmatch(tm.text())
		case <-timeout:
			return nil
		}
	}
}

// TestCtrlC presses Ctrl-C on iterbench's terminal while a strategy runs:
// the terminal sends SIGINT to its foreground process group. The worker
// runs in a process group of its own, so the signal reaches only iterbench,
// which stops the worker itself (SIGKILL), writes what it measured with
// "complete": false, the stopped run among it, and exits with 130.
func TestCtrlC(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "results")
	const rows = 50000
	tm := openTerminal(t)
	cmd := cliCommand(t, "run", "--dsn", filepath.Join(dir, "run.db"), "--rows", strconv.Itoa(rows), "--repeats", "1",
		"--strategies", "cursor", "--probe-rate", "0", "--out", out)
	var stdout bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tm.slave, &stdout, tm.slave
	// A session of its own with the terminal as its controlling terminal:
	// iterbench's process group is the terminal's foreground group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}

	// The progress bar of the run, once the worker has reported rows done.
	bar := regexp.MustCompile(fmt.Sprintf(`1/1 cursor[^\r\n]*?\(([1-9][0-9]*)/%d`, rows))
	m := tm.waitFor(bar, 3*time.Minute)
	if m == nil {
		stop()
		t.Fatalf("no progress of the run on the terminal:\n%q", tm.text())
	}
	done, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		stop()
		t.Fatal(err)
	}

	// The terminal's foreground group, which Ctrl-C signals, is iterbench's;
	// the worker's is not.
	fg, err := unix.IoctlGetInt(int(tm.master.Fd()), unix.TIOCGPGRP)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	workers := children(t, cmd.Process.Pid)
	if len(workers) != 1 {
		stop()
		t.Fatalf("iterbench has %d child processes while a strategy runs, want its worker only: %+v", len(workers), workers)
	}
	w := workers[0]
	if fg != cmd.Process.Pid {
		stop()
		t.Fatalf("the terminal's foreground group is %d, not iterbench's (%d): the test proves nothing", fg, cmd.Process.Pid)
	}
	if w.PGRP == fg {
		t.Errorf("the worker (pid %d) is in the terminal's foreground process group %d: Ctrl-C reaches it too", w.PID, fg)
	}

	if _, err := tm.master.Write([]byte{3}); err != nil { // Ctrl-C
		stop()
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(3 * time.Minute):
		stop()
		t.Fatalf("iterbench did not end after Ctrl-C:\n%q", tm.text())
	}
	tm.slave.Close()
	<-tm.closed
	screen := tm.text()
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("exit code %d, want %d:\n%q", code, exitInterrupted, screen)
	}
	if !strings.Contains(screen, "incomplete results written to "+out) {
		t.Errorf("the terminal does not say where the incomplete results are:\n%q", screen)
	}
	if err := syscall.Kill(w.PID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the worker (pid %d) outlived iterbench: %v", w.PID, err)
	}

	s, _, err := summary.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if s.Complete || len(s.Runs) != 1 {
		t.Fatalf("complete %v, %d runs; want incomplete with the stopped run", s.Complete, len(s.Runs))
	}
	r := s.Runs[0]
	if r.Strategy != "cursor" || r.Status != summary.StatusInterrupted {
		t.Errorf("run %s: %s, want cursor interrupted: %s", r.Strategy, r.Status, r.Error)
	}
	if r.Rows < done || r.Rows >= rows {
		t.Errorf("%d rows done recorded; the terminal showed %d before Ctrl-C, of %d", r.Rows, done, rows)
	}
	// Stopped by iterbench's SIGKILL, not by a SIGINT of its own.
	if r.ExitCode != 128+int(syscall.SIGKILL) {
		t.Errorf("the worker's exit code is %d, want %d (SIGKILL from iterbench)", r.ExitCode, 128+int(syscall.SIGKILL))
	}
}

// children returns the processes whose parent is pid.
func children(t *testing.T, pid int) []procfs.ProcStat {
	t.Helper()
	procs, err := procfs.AllProcs()
	if err != nil {
		t.Fatal(err)
	}
	var out []procfs.ProcStat
	for _, p := range procs {
		st, err := p.Stat()
		if err == nil && st.PPID == pid {
			out = append(out, st)
		}
	}
	return out
}
