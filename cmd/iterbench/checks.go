package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
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

// randomSeed returns a non-zero seed.
func randomSeed() uint64 { return rand.Uint64() | 1 }
