package rss

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CgroupRoot is where the cgroup file systems are mounted on Linux.
const CgroupRoot = "/sys/fs/cgroup"

// Cgroup is a process's memory cgroup: a folder of the cgroup file system.
type Cgroup struct {
	// Dir is the cgroup's folder.
	Dir string
	// V2 is set for the unified hierarchy (cgroup v2), whose files have other
	// names than v1's.
	V2 bool
}

// CgroupOf finds pid's memory cgroup under root (normally CgroupRoot) from
// /proc/PID/cgroup: the v1 memory controller's hierarchy where there is one
// (as on hosts with cgroup v1 or a hybrid layout), else the unified one.
func CgroupOf(root string, pid int) (Cgroup, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return Cgroup{}, fmt.Errorf("find the cgroup of process %d: %w", pid, err)
	}
	return parseCgroupFile(root, b)
}

// parseCgroupFile picks the memory cgroup out of a /proc/PID/cgroup file.
func parseCgroupFile(root string, b []byte) (Cgroup, error) {
	var unified string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			unified = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "memory" {
				return Cgroup{Dir: filepath.Join(root, "memory", parts[2])}, nil
			}
		}
	}
	if unified == "" {
		return Cgroup{}, fmt.Errorf("no memory cgroup in %q", strings.TrimSpace(string(b)))
	}
	return Cgroup{Dir: filepath.Join(root, unified), V2: true}, nil
}

// Read takes one reading of the cgroup. A cgroup that no longer exists
// (its container has ended) reads as ErrGone.
func (c Cgroup) Read() (CgroupUsage, error) {
	current, peak, inactive := "memory.usage_in_bytes", "memory.max_usage_in_bytes", "total_inactive_file"
	if c.V2 {
		current, peak, inactive = "memory.current", "memory.peak", "inactive_file"
	}
	var u CgroupUsage
	var err error
	if u.Charge, err = readUint(filepath.Join(c.Dir, current)); err != nil {
		if os.IsNotExist(err) {
			return u, ErrGone
		}
		return u, err
	}
	// memory.peak exists only from Linux 5.19 on.
	if u.Peak, err = readUint(filepath.Join(c.Dir, peak)); err != nil && !os.IsNotExist(err) {
		return u, err
	}
	stat, err := os.ReadFile(filepath.Join(c.Dir, "memory.stat"))
	if err != nil {
		if os.IsNotExist(err) {
			return u, ErrGone
		}
		return u, err
	}
	u.WorkingSet = u.Charge
	if v, ok := statField(stat, inactive); ok && v < u.Charge {
		u.WorkingSet = u.Charge - v
	}
	return u, nil
}

func readUint(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	return n, nil
}

// statField returns the value of key in a memory.stat file.
func statField(stat []byte, key string) (uint64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(stat))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == key {
			n, err := strconv.ParseUint(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// WithCgroup returns a Reader that adds c's readings to read's. Once the
// cgroup is gone (a container is removed as its process ends) its figures
// read as zero while the process can still be read.
func WithCgroup(read Reader, c Cgroup) Reader {
	return func() (Usage, error) {
		u, err := read()
		if err != nil {
			return u, err
		}
		cu, err := c.Read()
		if err != nil && err != ErrGone {
			return u, fmt.Errorf("read cgroup %s: %w", c.Dir, err)
		}
		u.Cgroup = cu
		return u, nil
	}
}
