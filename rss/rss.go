// Package rss samples the resident set size of a process over time.
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

// Peak returns the largest RSS among samples, and the largest HWM.
func Peak(samples []Sample) (rss, hwm uint64) {
	for _, s := range samples {
		rss = max(rss, s.Usage.RSS)
		hwm = max(hwm, s.Usage.HWM)
	}
	return rss, hwm
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
		return Usage{RSS: st.VmRSS, HWM: st.VmHWM}, nil
	}, nil
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
	return Usage{RSS: st.VmRSS, HWM: st.VmHWM}, nil
}
