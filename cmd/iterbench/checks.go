package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"iterbench/units"
)

func positive(vals map[string]int) error {
	for _, name := range []string{"rows", "batch", "payload", "repeats", "workers"} {
		if v, ok := vals[name]; ok && v <= 0 {
			return usagef("--%s must be positive, got %d", name, v)
		}
	}
	return nil
}

// checkWritable reports whether dir is, or can be created as, a writable
// folder, without leaving anything behind.
func checkWritable(dir string) error {
	probe := dir
	for {
		fi, err := os.Stat(probe)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("--out %s: %s is not a folder", dir, probe)
			}
			break
		}
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return fmt.Errorf("--out %s: %w", dir, err)
		}
		parent := filepath.Dir(probe)
		if parent == probe {
			break
		}
		probe = parent
	}
	f, err := os.CreateTemp(probe, ".iterbench-probe-*")
	if err != nil {
		return fmt.Errorf("--out %s is not writable: %w", dir, errors.Unwrap(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// countFlag is a row count flag that takes counts as people write them
// (5k, 1.5M, 30M: units.ParseCount).
type countFlag int

func (c *countFlag) String() string { return strconv.Itoa(int(*c)) }

func (c *countFlag) Set(s string) error {
	n, err := units.ParseCount(s)
	if err != nil {
		return err
	}
	if n > math.MaxInt32*1024 {
		return fmt.Errorf("%q is more rows than iterbench can hold", s)
	}
	*c = countFlag(n)
	return nil
}

// rowsFlag defines --rows on fs.
func rowsFlag(fs *flag.FlagSet, value int, usage string) *int {
	c := countFlag(value)
	fs.Var(&c, "rows", usage)
	return (*int)(&c)
}

// randomSeed returns a non-zero seed.
func randomSeed() uint64 { return rand.Uint64() | 1 }
