package rss

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseCgroupFile(t *testing.T) {
	for _, c := range []struct {
		name, file string
		want       Cgroup
	}{
		{"v1", "12:pids:/docker/abc\n4:memory:/docker/abc\n0::/\n", Cgroup{Dir: "/sys/fs/cgroup/memory/docker/abc"}},
		{"v1 with joined controllers", "5:memory,hugetlb:/x\n", Cgroup{Dir: "/sys/fs/cgroup/memory/x"}},
		{"v2", "0::/system.slice/docker-abc.scope\n", Cgroup{Dir: "/sys/fs/cgroup/system.slice/docker-abc.scope", V2: true}},
	} {
		got, err := parseCgroupFile(CgroupRoot, []byte(c.file))
		if err != nil || got != c.want {
			t.Errorf("%s: got %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
	if _, err := parseCgroupFile(CgroupRoot, []byte("3:cpu:/\n")); err == nil {
		t.Error("no error without a memory cgroup")
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCgroupRead(t *testing.T) {
	v1, v2, v2old := t.TempDir(), t.TempDir(), t.TempDir()
	writeFiles(t, v1, map[string]string{"memory.usage_in_bytes": "1000\n", "memory.max_usage_in_bytes": "1500\n",
		"memory.stat": "cache 300\ninactive_file 5\ntotal_inactive_file 200\n"})
	writeFiles(t, v2, map[string]string{"memory.current": "2000\n", "memory.peak": "2500\n",
		"memory.stat": "anon 1000\ninactive_file 700\n"})
	writeFiles(t, v2old, map[string]string{"memory.current": "2000\n", "memory.stat": "inactive_file 700\n"})
	for _, c := range []struct {
		name string
		cg   Cgroup
		want CgroupUsage
	}{
		{"v1", Cgroup{Dir: v1}, CgroupUsage{Charge: 1000, Peak: 1500, WorkingSet: 800}},
		{"v2", Cgroup{Dir: v2, V2: true}, CgroupUsage{Charge: 2000, Peak: 2500, WorkingSet: 1300}},
		{"v2 without memory.peak", Cgroup{Dir: v2old, V2: true}, CgroupUsage{Charge: 2000, WorkingSet: 1300}},
	} {
		got, err := c.cg.Read()
		if err != nil || got != c.want {
			t.Errorf("%s: got %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
	if _, err := (Cgroup{Dir: filepath.Join(v1, "gone")}).Read(); err != ErrGone {
		t.Errorf("a removed cgroup reads as %v, want ErrGone", err)
	}
}
