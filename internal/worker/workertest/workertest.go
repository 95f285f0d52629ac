// Package workertest builds the worker binary once for a test binary, so
// that tests which start workers (directly or through the CLI) run the real
// lean worker, as iterbench does.
package workertest

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/iterbench/iterbench/internal/worker"
)

// Main builds the worker into a temporary folder, points
// $ITERBENCH_WORKER_BIN at it, runs the tests and removes the folder. Call
// it from TestMain: os.Exit(workertest.Main(m)).
func Main(m *testing.M) int {
	if os.Getenv(worker.BinaryEnv) != "" {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "iterbench-workertest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	path, err := worker.Build(context.Background(), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Setenv(worker.BinaryEnv, path)
	return m.Run()
}
