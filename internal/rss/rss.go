// Package rss samples the resident set size of a process over time, and the
// memory charged to its cgroup when it runs in a container.
package rss

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/procfs"
)

// Usage is one reading of a process's memory.
type Usage struct {
	// RSS is the resident set size in bytes.
	RSS uint64
	// HWM is the kernel's high-water mark of RSS for the process's current
	// address space (VmHWM), in bytes.
	HWM uint64
	// Anon is the anonymous part of RSS (RssAnon: heap, stacks), in bytes:
	// what the program allocated, whatever its executable's size.
	Anon uint64
	// File is the file-backed part of RSS (RssFile: the executable and
	// libraries mapped from the page cache), in bytes. The kernel can drop
	// these pages under pressure and read them again.
	File uint64
	// Cgroup is what the kernel charges to the process's memory cgroup, when
	// it has one of its own (see CgroupReader), else zero.
	Cgroup CgroupUsage
}

// CgroupUsage is one reading of a memory cgroup, in bytes.
type CgroupUsage struct {
	// Charge is the cgroup's current charge (memory.usage_in_bytes in v1,
	// memory.current in v2): anonymous memory, page cache the cgroup's
	// processes touched, kernel memory. The kernel's OOM killer acts when it
	// reaches the limit and nothing more can be reclaimed.
	Charge uint64
	// Peak is the highest charge so far (v1 memory.max_usage_in_bytes, v2
	// memory.peak where the kernel has it, else zero).
	Peak uint64
	// WorkingSet is the charge less inactive file pages, the figure the
	// kubelet compares with a pod's limit.
	WorkingSet uint64
}

// Reader returns the current memory usage of the process being sampled.
// It returns ErrGone once the process has exited.
type Reader func() (Usage, error)

// ErrGone is returned by a Reader whose process has exited.
var ErrGone = errors.New("process has exited")

// Sample is one reading taken at T after sampling started.
type Sample struct {
	T     time.Duration
	Usage Usage
}

// Sampler reads a process's memory at a fixed interval.
type Sampler struct {
	// Interval between readings.
	Interval time.Duration
	// Read takes one reading.
	Read Reader
	// OnSample, if set, is called with every sample as it is taken.
	OnSample func(Sample)
}

// Run samples immediately and then every Interval until ctx is done or the
// reader reports ErrGone, and returns the samples in time order. Any other
// reader error stops sampling and is returned with the samples so far.
func (s *Sampler) Run(ctx context.Context) ([]Sample, error) {
	if s.Interval <= 0 {
		return nil, fmt.Errorf("sampling interval must be positive, got %v", s.Interval)
	}
	start := time.Now()
	ticker := time.NewTicker(s.Interval)
	defer ticker.Stop()
	var out []Sample
	for {
		u, err := s.Read()
		switch {
		case errors.Is(err, ErrGone):
			return out, nil
		case err != nil:
			return out, err
		}
		smp := Sample{T: time.Since(start), Usage: u}
		out = append(out, smp)
		if s.OnSample != nil {
			s.OnSample(smp)
		}
		select {
		case <-ctx.Done():
			return out, nil
		case <-ticker.C:
		}
	}
}

// Peaks are the largest readings among a run's samples, each taken on its
// own (the largest RSS and the largest anonymous part need not be of the
// same sample).
type Peaks struct {
	RSS, HWM, Anon, File uint64
	// Cgroup is the largest cgroup charge: the largest Peak read, or the
	// largest Charge where the kernel keeps no peak.
	Cgroup uint64
	// WorkingSet is the largest cgroup working set.
	WorkingSet uint64
}

// PeaksOf returns the peaks of samples.
func PeaksOf(samples []Sample) Peaks {
	var p Peaks
	for _, s := range samples {
		u := s.Usage
		p.RSS, p.HWM = max(p.RSS, u.RSS), max(p.HWM, u.HWM)
		p.Anon, p.File = max(p.Anon, u.Anon), max(p.File, u.File)
		p.Cgroup = max(p.Cgroup, u.Cgroup.Charge, u.Cgroup.Peak)
		p.WorkingSet = max(p.WorkingSet, u.Cgroup.WorkingSet)
	}
	return p
}

// ProcReader returns a Reader for process pid that reads
// /proc/<pid>/status. A process that has exited, or is a zombie with no
// address space left, reads as ErrGone.
func ProcReader(pid int) (Reader, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return nil, fmt.Errorf("open /proc: %w", err)
	}
	return func() (Usage, error) {
		p, err := fs.Proc(pid)
		if err != nil {
			return Usage{}, ErrGone
		}
		st, err := p.NewStatus()
		if err != nil || st.VmRSS == 0 {
			return Usage{}, ErrGone
		}
		return usageOf(st), nil
	}, nil
}

func usageOf(st procfs.ProcStatus) Usage {
	return Usage{RSS: st.VmRSS, HWM: st.VmHWM, Anon: st.RssAnon, File: st.RssFile}
}

// Self returns the calling process's current memory usage.
func Self() (Usage, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return Usage{}, fmt.Errorf("open /proc: %w", err)
	}
	p, err := fs.Self()
	if err != nil {
		return Usage{}, fmt.Errorf("open /proc/self: %w", err)
	}
	st, err := p.NewStatus()
	if err != nil {
		return Usage{}, fmt.Errorf("read /proc/self/status: %w", err)
	}
	return usageOf(st), nil
}
