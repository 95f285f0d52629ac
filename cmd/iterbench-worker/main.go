// Command iterbench-worker is the process in which iterbench runs one
// strategy: a program the size of a real backfill job (GORM, the drivers and
// the strategies, nothing of the harness). iterbench starts it; it is not
// meant to be run by hand. See package iterbench/worker.
package main

import (
	"context"
	"io"
	stdlog "log"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-sql-driver/mysql"

	"github.com/iterbench/iterbench/internal/items"
	"github.com/iterbench/iterbench/internal/job"
	"github.com/iterbench/iterbench/internal/worker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The MySQL driver logs every refused connection to stderr; the worker
	// reports its own errors.
	mysql.SetLogger(stdlog.New(io.Discard, "", 0))
	own, err := job.Of(items.Job)
	if err != nil {
		panic(err) // items.Job is declared right
	}
	code := worker.Main(ctx, job.Set{own}, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
