package dbcost

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCgroupCPU reads a container's CPU time from a cgroup v1 cpuacct
// hierarchy and from a v2 cpu.stat, as /proc/PID/cgroup names them.
func TestCgroupCPU(t *testing.T) {
	root := t.TempDir()
	write := func(path, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	v1 := filepath.Join(root, "cpuacct", "docker", "abc", "cpuacct.usage")
	write(v1, "2500000000\n")
	read, err := cgroupCPU(root, []byte("9:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := read(); err != nil || s != 2.5 {
		t.Errorf("v1: %v s, %v; want 2.5 s", s, err)
	}
	write(v1, "4000000000\n") // the server worked on
	if s, _ := read(); s != 4 {
		t.Errorf("v1 later: %v s, want 4", s)
	}

	write(filepath.Join(root, "system.slice", "docker-abc.scope", "cpu.stat"), "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n")
	read, err = cgroupCPU(root, []byte("0::/system.slice/docker-abc.scope\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := read(); err != nil || s != 1.5 {
		t.Errorf("v2: %v s, %v; want 1.5 s", s, err)
	}

	if _, err := cgroupCPU(root, []byte("9:memory:/docker/abc\n")); err == nil {
		t.Error("no cpuacct and no unified hierarchy: want an error")
	}
}
