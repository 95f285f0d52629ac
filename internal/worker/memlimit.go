package worker

import (
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"strconv"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// MemLimitRatio is the share of the memory limit GOMEMLIMIT "auto" sets,
// as automemlimit does by default: the rest is left for what the Go
// runtime does not count (thread stacks beyond the heap, C memory).
const MemLimitRatio = 0.9

// MemLimit is a worker's GOMEMLIMIT, resolved once by the parent: off (the
// zero value), Auto (MemLimitRatio of the worker's own cgroup limit, found
// by automemlimit as a Go program in a pod finds it), or Bytes.
type MemLimit struct {
	Auto  bool   `json:"auto,omitempty"`
	Bytes uint64 `json:"bytes,omitempty"`
}

// String is the setting as results record it: "off", "auto" or the bytes.
func (m MemLimit) String() string {
	switch {
	case m.Auto:
		return MemLimitAuto
	case m.Bytes > 0:
		return strconv.FormatUint(m.Bytes, 10)
	}
	return MemLimitOff
}

// ErrAutoWithoutLimit is returned by AutoMemLimit when there is no limit
// to take a share of.
var ErrAutoWithoutLimit = errors.New("GOMEMLIMIT auto takes 90 % of the memory limit, and none was given")

// AutoMemLimit resolves GOMEMLIMIT "auto": in a container limited to
// memoryLimit bytes, the worker finds the limit itself (Auto); under an RSS
// limit enforced by sampling, MemLimitRatio of it.
func AutoMemLimit(memoryLimit, rssLimit uint64) (MemLimit, error) {
	switch {
	case memoryLimit > 0:
		return MemLimit{Auto: true}, nil
	case rssLimit > 0:
		return MemLimit{Bytes: uint64(MemLimitRatio * float64(rssLimit))}, nil
	}
	return MemLimit{}, ErrAutoWithoutLimit
}

// apply sets the Go runtime's soft memory limit and returns the limit in
// force (0 for none).
func (m MemLimit) apply() (uint64, error) {
	switch {
	case m.Auto:
		if _, err := memlimit.Set(memlimit.WithRatio(MemLimitRatio), memlimit.WithProvider(memlimit.FromCgroup)); err != nil {
			return 0, fmt.Errorf("gomemlimit auto: %w", err)
		}
	case m.Bytes > math.MaxInt64:
		return 0, fmt.Errorf("gomemlimit %d bytes is too large", m.Bytes)
	case m.Bytes > 0:
		debug.SetMemoryLimit(int64(m.Bytes))
	}
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		return uint64(l), nil
	}
	return 0, nil
}
