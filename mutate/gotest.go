package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Outcome is what one go test -json run says about the tests it ran.
type Outcome struct {
	// BuildFailed is set when the package or its tests did not compile (or
	// the go command failed before running any test).
	BuildFailed bool
	// Failed lists the tests that failed; PackageFailed is set when the
	// test binary failed (a failed test, a panic, a time-out, TestMain).
	Failed        []string
	PackageFailed bool
	// Passed and Skipped list the tests that ran to the end of their own
	// (tests without subtests, and subtests without subtests of their own).
	Passed, Skipped []string
	// SkipReason is the output of the first skipped test.
	SkipReason string
	// Output is everything the run printed, in order.
	Output string
}

// event is one line of go test -json (cmd/test2json).
type event struct {
	Action      string
	Package     string
	Test        string
	Output      string
	FailedBuild string
}

// ParseOutcome reads go test -json output. Lines that are not JSON (the go
// command's own errors) are kept in Output.
func ParseOutcome(r io.Reader) Outcome {
	var (
		o       Outcome
		out     strings.Builder
		status  = map[string]string{} // test → pass, fail or skip
		parent  = map[string]bool{}   // tests with subtests
		testOut = map[string]*strings.Builder{}
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			out.Write(line)
			out.WriteByte('\n')
			continue
		}
		switch e.Action {
		case "output", "build-output":
			out.WriteString(e.Output)
			if e.Test != "" {
				b := testOut[e.Test]
				if b == nil {
					b = &strings.Builder{}
					testOut[e.Test] = b
				}
				b.WriteString(e.Output)
			}
		case "build-fail":
			o.BuildFailed = true
		case "run":
			if i := strings.LastIndex(e.Test, "/"); i > 0 {
				parent[e.Test[:i]] = true
			}
		case "pass", "fail", "skip":
			if e.Test != "" {
				status[e.Test] = e.Action
				continue
			}
			if e.Action == "fail" {
				if e.FailedBuild != "" {
					o.BuildFailed = true
				} else {
					o.PackageFailed = true
				}
			}
		}
	}
	o.Output = out.String()
	names := make([]string, 0, len(status))
	for t := range status {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		switch st := status[t]; {
		case st == "fail":
			o.Failed = append(o.Failed, t)
		case parent[t]:
			// Judged by its subtests (a test whose subtests all skip passes).
		case st == "pass":
			o.Passed = append(o.Passed, t)
		case st == "skip":
			o.Skipped = append(o.Skipped, t)
			if o.SkipReason == "" && testOut[t] != nil {
				o.SkipReason = skipReason(testOut[t].String())
			}
		}
	}
	return o
}

// skipReason keeps the lines of a skipped test's output that say why.
func skipReason(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- ") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, " ")
}

// Caught reports whether the tests failed: a failed test, or a test binary
// that failed (a panic, go test's time-out, TestMain) once built.
func (o Outcome) Caught() bool {
	return !o.BuildFailed && (len(o.Failed) > 0 || o.PackageFailed)
}

// Ran reports whether any test ran to a verdict; false when the pattern
// matched none, or every test it matched skipped.
func (o Outcome) Ran() bool { return len(o.Passed) > 0 || len(o.Failed) > 0 }

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[… %d lines before]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// errTimedOut is goTest's error when go test outlived its own -timeout by
// five minutes.
var errTimedOut = errors.New("go test did not end within its -timeout and 5 minutes more; killed")

// goTest runs the go test -run pattern run on pkg in the module copy at dir
// with go test's own -timeout, and reads its outcome. Its process group
// is killed when ctx ends, and when it returns, so that nothing it started
// outlives it. env is the environment it gets.
func goTest(ctx context.Context, goCmd, dir string, env []string, pkg, run string, timeout time.Duration) (Outcome, error) {
	// The outer deadline is go test's own plus time to build: go test's
	// -timeout is reported as a failed test, this one as an error.
	outer, cancel := context.WithTimeoutCause(ctx, timeout+5*time.Minute, errTimedOut)
	defer cancel()
	cmd := exec.CommandContext(outer, goCmd, "test", "-count=1", "-json", "-timeout", timeout.String(), "-run", run, pkg)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // whatever the tests left running
	}
	if outer.Err() != nil {
		return Outcome{}, context.Cause(outer)
	}
	o := ParseOutcome(&stdout)
	if stderr.Len() > 0 {
		o.Output += stderr.String()
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		if !o.Caught() && !o.BuildFailed {
			// The go command failed before any test could: a package that
			// does not exist, a module error.
			o.BuildFailed = true
		}
	default:
		return o, fmt.Errorf("run go test: %w", err)
	}
	return o, nil
}

// testEnv is the environment of the tests: this process's, without
// $ITERBENCH_WORKER_BIN (the tests must run the worker built from the
// mutated copy, not one built before), with PWD the copy.
func testEnv(dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "ITERBENCH_WORKER_BIN" || k == "PWD" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PWD="+dir)
}
