package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/iterbench/iterbench/internal/units"
)

func positive(vals map[string]int) error {
	for _, name := range []string{"rows", "batch", "payload", "repeats", "min-repeats", "workers"} {
		if v, ok := vals[name]; ok && v <= 0 {
			return usagef("--%s must be positive, got %d", name, v)
		}
	}
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
