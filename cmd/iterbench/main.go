// Command iterbench measures how fast, and in how much memory, different
// strategies update a computed column on every row of a large table.
//
// Usage:
//
//	iterbench run     [flags]   seed a table, run every strategy, write results
//	iterbench sweep   [flags]   the same at several row counts
//	iterbench seed    [flags]   only create and fill the table
//	iterbench plot    DIR       redraw charts and REPORT.md from DIR's results
//	iterbench compare DIR...    compare results folders in one table
//	iterbench list              list the strategies
//	iterbench clean             remove every container and network iterbench started
//
// Run "iterbench <command> -h" for a command's flags.
package main

import (
	"context"
	"io"
	stdlog "log"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/testcontainers/testcontainers-go/log"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C ends the process at once
	}()
	// testcontainers and the MySQL driver report to stderr by default (the
	// driver, for example, every refused probe while a container starts);
	// iterbench prints its own errors.
	log.SetDefault(log.NewNoopLogger())
	mysql.SetLogger(stdlog.New(io.Discard, "", 0))
	os.Exit(Main(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
