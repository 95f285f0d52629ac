package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/iterbench/iterbench/internal/container"
	"github.com/iterbench/iterbench/internal/container/containertest"
)

// cliEnv makes the test binary run as iterbench (see TestMain).
const cliEnv = "ITERBENCH_TEST_CLI"

// runProcess runs iterbench as a process of its own, with env added to this
// one's: for what is settled once per process (testcontainers' settings).
func runProcess(t *testing.T, env []string, args ...string) (code, pid int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), cliEnv+"=1"), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Start()
	if err == nil {
		pid = cmd.Process.Pid
		err = cmd.Wait()
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run iterbench: %v", err)
	}
	return code, pid, o.String(), e.String()
}

// reaperAtHand reports whether testcontainers' reaper image is present or
// can be pulled here, asked of Docker's own command line.
func reaperAtHand(t *testing.T) bool {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("skipping: the docker command is not installed, and this test asks it about the reaper image")
	}
	if exec.Command("docker", "image", "inspect", container.ReaperImage).Run() == nil {
		return true
	}
	return exec.Command("docker", "pull", "-q", container.ReaperImage).Run() == nil
}

// TestFreshMachine is a machine with Docker and no registry, where
// testcontainers' reaper is enabled (TESTCONTAINERS_RYUK_DISABLED=false)
// and its image cannot be had: a run under --memory-limit goes on without
// the reaper, says so once, and leaves no container. Where the reaper can
// start, it is used and nothing is said.
func TestFreshMachine(t *testing.T) {
	containertest.RequireDocker(t)
	atHand := reaperAtHand(t)
	out := filepath.Join(t.TempDir(), "out")
	code, pid, stdout, stderr := runProcess(t, []string{container.ReaperEnv + "=false"},
		"run", "--rows", "300", "--repeats", "1", "--strategies", "keyset-bulk", "--probe-rate", "0",
		"--memory-limit", "128MiB", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	notes := strings.Count(stderr, "testcontainers reaper cannot start")
	switch {
	case atHand && notes != 0:
		t.Errorf("the reaper's image is at hand, yet iterbench said %d times that it cannot start:\n%s", notes, stderr)
	case !atHand && notes != 1:
		t.Errorf("the reaper's image cannot be had: want one note saying so, got %d; stderr:\n%s", notes, stderr)
	}
	if !strings.Contains(stdout, "1/1") {
		t.Errorf("want the run ok (1/1); stdout:\n%s", stdout)
	}
	if left := iterbenchContainers(t, pid); left != "" {
		t.Errorf("containers left behind: %s", left)
	}
}

// TestMemoryLimitDockerRefuses: a limit below Docker's own minimum is bad
// input, found before anything is seeded: one line, exit 2, nothing
// written, no container left.
func TestMemoryLimitDockerRefuses(t *testing.T) {
	containertest.RequireDocker(t)
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(context.Background(), "run", "--rows", "500", "--memory-limit", "1MiB", "--out", out)
	if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "--memory-limit 1MiB") ||
		!strings.Contains(stderr, "Minimum memory limit") {
		t.Errorf("exit %d, stderr %q; want exit 2 and one line naming the flag and Docker's reason", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("the output folder was created")
	}
	if left := iterbenchContainers(t, os.Getpid()); left != "" {
		t.Errorf("containers left behind: %s", left)
	}
}

// iterbenchContainers lists the containers that process pid started with
// iterbench's label, in Docker's words; "" when there are none.
func iterbenchContainers(t *testing.T, pid int) string {
	t.Helper()
	b, err := exec.Command("docker", "ps", "-a", "--filter", "label="+container.Label+"=1",
		"--filter", "label="+container.LabelPID+"="+strconv.Itoa(pid), "--format", "{{.ID}} {{.Image}} {{.Status}}").Output()
	if err != nil {
		t.Fatalf("docker ps: %v", err)
	}
	return strings.TrimSpace(string(b))
}
