// Package iterbench measures the ways of updating every row of a table — a
// backfill, a recomputed column — on your own table, with your own model and
// calculation, from your own go test -bench: which strategy keeps memory
// bounded, how fast each is, and which to run in production.
//
// Declare the job over your GORM model, make the test binary the worker, and
// call Bench from a benchmark:
//
//	var backfill = iterbench.Job[Event]{
//		Name:    "events",
//		Key:     []string{"id"},              // default: Event's primary key
//		Read:    []string{"id", "payload"},
//		Write:   []string{"size"},
//		Compute: func(e *Event) error { e.Size = len(e.Payload); return nil },
//	}
//
//	func TestMain(m *testing.M) { iterbench.Main(m) } // the test binary is also the worker
//
//	func BenchmarkBackfill(b *testing.B) {
//		iterbench.Bench(b, backfill, iterbench.Options{Rows: 20_000, Seed: seedEvents, Out: "results"})
//	}
//
// go test -run '^$' -bench Backfill -benchtime 1x -timeout 0 prints one
// line per strategy (strategy=keyset-bulk …) with its median time per pass
// (ns/op), peak-RSS-bytes and rows/s, and writes the results folder
// (summary.json, samples.csv, REPORT.md with the recommendation, charts)
// into Out. -benchtime 1x: the sub-benchmarks only report what was
// measured, once; -timeout 0: go test's default of 10 minutes would stop a
// long comparison without its clean-up.
//
// Every pass runs in a worker process of its own (the test binary, started
// again), its memory sampled, on a copy of the job's table that is made
// afresh before the pass and checked row by row after it: the copy must hold
// Compute's result over the source row in every written column, and the
// source's value in every other column. The source table is only read.
package iterbench

import (
	"github.com/iterbench/iterbench/internal/job"
)

// Job is a backfill over rows of type T, a GORM model: for every row of
// Table (in Scope), load the columns Read into a T, call Compute, and write
// the columns Write back, finding the row again by Key.
//
//   - Name names the job's progress records and its copy table
//     (iterbench_copy_<Name>); required.
//   - Table defaults to T's GORM table name.
//   - Key is a unique, NOT NULL key of one or more columns (integer, UUID,
//     text); it defaults to T's primary key. A key that allows NULL or is
//     not unique is refused.
//   - Read are the columns loaded into T (the key is added); default: all
//     of T's columns.
//   - Write are the columns Compute sets; required.
//   - Scope, if set, narrows the rows to backfill.
//   - Compute must be deterministic, so that every row can be verified.
//   - SQL optionally gives, per database ("sqlite", "postgres", "mariadb"),
//     the SET clause computing Write in SQL; the in-database strategies
//     (set-based, set-based-once) run only where it is given.
type Job[T any] = job.Def[T]
