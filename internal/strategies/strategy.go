// Package strategies holds the ways iterbench iterates over a job's table
// (see package job) and rewrites every row's written columns. Each strategy
// lives in a file of its own; All lists them in the order reports show them.
package strategies

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
	"github.com/iterbench/iterbench/internal/suggest"
)

// Strategy is one way of recomputing the written columns of every row.
type Strategy interface {
	// Name is the short name used on the command line and in results.
	Name() string
	// Description says in one line what the strategy does.
	Description() string
	// Run rewrites the written columns of every row of cfg.Job's table,
	// reporting progress through cfg.Progress, and returns what it did.
	Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error)
}

// Config holds the settings shared by all strategies.
type Config struct {
	// Job is the backfill to run; it is required.
	Job *job.Job
	// BatchSize is the number of rows read per page or written per bulk
	// statement. Zero means DefaultBatchSize.
	BatchSize int
	// BulkForm is the bulk-update statement form; empty means the database's
	// default (DefaultBulkForm).
	BulkForm BulkForm
	// Workers is the number of concurrent workers of parallel strategies;
	// zero means DefaultWorkers.
	Workers int
	// BatchTarget is the time keyset-adaptive's batches aim at; zero
	// means DefaultBatchTarget.
	BatchTarget time.Duration
	// Layer is the code the keyset loops read and write through; empty:
	// LayerGORM. A strategy's driver form (Driver) sets LayerDriver.
	Layer Layer
	// Resume makes resumable strategies continue from their recorded
	// progress instead of from the first row.
	Resume bool
	// Progress, if set, is called with the number of rows done so far, about
	// once per batch. It may be called from several goroutines, never at once.
	Progress func(done int64)
}

// Supporter is implemented by strategies that only some databases, or only
// some jobs, offer.
type Supporter interface {
	// Supports reports whether the strategy runs j on a kind of database;
	// j may be nil, asking about the database alone.
	Supports(kind database.Kind, j *job.Job) bool
}

// Supported reports whether s runs j (nil: any job) on a kind of
// database: true unless s implements Supporter and says no.
func Supported(s Strategy, kind database.Kind, j *job.Job) bool {
	if sp, ok := s.(Supporter); ok {
		return sp.Supports(kind, j)
	}
	return true
}

// DefaultBatchSize is the batch size when none is configured.
const DefaultBatchSize = 1000

// Stats is what a strategy reports about its run.
type Stats struct {
	// Rows is the number of rows written.
	Rows int64 `json:"rows"`
	// Reads is the number of read queries issued.
	Reads int64 `json:"reads"`
	// Writes is the number of write statements issued.
	Writes int64 `json:"writes"`
	// Retries counts writes tried again for a conflict with another
	// transaction (counted by the worker, see CountRetries).
	Retries int64 `json:"retries,omitempty"`
	// Batches describes the batches of the resumable strategies, which
	// size them (keyset-bulk, keyset-adaptive, parallel-keyset,
	// set-based); nil for the others.
	Batches *BatchStats `json:"batches,omitempty"`
}

// BatchStats describes the batches of a run of a resumable strategy:
// their number, their own time (read, computation and write), their sizes,
// and the throttle's pauses. It has summary.Batches' fields, which the
// worker does not link.
type BatchStats struct {
	Count        int64   `json:"count"`
	SecondsP50   float64 `json:"seconds_p50"`
	SecondsP99   float64 `json:"seconds_p99"`
	SecondsMax   float64 `json:"seconds_max"`
	RowsMin      int     `json:"rows_min"`
	RowsMax      int     `json:"rows_max"`
	Pauses       int     `json:"pauses,omitempty"`
	PauseSeconds float64 `json:"pause_seconds,omitempty"`
}

// All returns every strategy, in the order reports list them.
func All() []Strategy {
	return append([]Strategy{
		LoadAll{},
		Cursor{},
		CursorBulk{},
		Paging{},
		PagingBulk{},
		Keyset{},
		KeysetBulk{},
		ServerCursor{},
		ParallelKeyset{},
		SetBased{},
		SetBasedOnce{},
		KeysetAdaptive{},
		KeysetPipelined{},
	}, faults()...)
}

// Names returns the names of strategies.
func Names(ss []Strategy) []string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.Name()
	}
	return names
}

// Registry is every strategy a name can select: All with the driver
// forms (DriverForms) before the fault injectors, in the order of their
// colours on the charts.
func Registry() []Strategy {
	all := All()
	n := len(all) - len(faults())
	return slices.Concat(all[:n], DriverForms(), all[n:])
}

// Lookup returns the strategy called name.
func Lookup(name string) (Strategy, error) {
	for _, s := range Registry() {
		if s.Name() == name {
			return s, nil
		}
	}
	if c := suggest.Closest(name, Names(Registry())); c != "" {
		return nil, fmt.Errorf("unknown strategy %q (did you mean %s?)", name, c)
	}
	return nil, fmt.Errorf("unknown strategy %q (known: %s)", name, strings.Join(Names(Registry()), ", "))
}

// Parse turns a comma-separated list of names, or "all", into strategies,
// in the order given.
func Parse(list string) ([]Strategy, error) {
	if strings.TrimSpace(list) == "all" || strings.TrimSpace(list) == "" {
		return All(), nil
	}
	var ss []Strategy
	seen := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		s, err := Lookup(name)
		if err != nil {
			return nil, err
		}
		if !seen[name] {
			ss = append(ss, s)
			seen[name] = true
		}
	}
	return ss, nil
}

func (c Config) batch() int {
	if c.BatchSize > 0 {
		return c.BatchSize
	}
	return DefaultBatchSize
}

// tracker counts rows and statements, and reports progress about once per
// batch. It is safe for concurrent use.
type tracker struct {
	cfg      Config
	mu       sync.Mutex
	stats    Stats
	reported int64
	// batches, if set, is filled by batch and ends in Stats.Batches.
	batches *BatchStats
	times   []float64 // each batch's seconds
}

// batch records one batch of rows that took d.
func (t *tracker) batch(rows int, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.batches
	b.Count++
	if b.RowsMin == 0 || rows < b.RowsMin {
		b.RowsMin = rows
	}
	b.RowsMax = max(b.RowsMax, rows)
	t.times = append(t.times, d.Seconds())
}

// pause records a pause the throttle asked for.
func (t *tracker) pause(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if b := t.batches; b != nil {
		b.Pauses++
		b.PauseSeconds += d.Seconds()
	}
}

// add counts n rows written.
func (t *tracker) add(n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stats.Rows += n
	if t.cfg.Progress != nil && t.stats.Rows-t.reported >= int64(t.cfg.batch()) {
		t.cfg.Progress(t.stats.Rows)
		t.reported = t.stats.Rows
	}
}

// reads counts n read queries.
func (t *tracker) reads(n int64) {
	t.mu.Lock()
	t.stats.Reads += n
	t.mu.Unlock()
}

// writes counts n write statements.
func (t *tracker) writes(n int64) {
	t.mu.Lock()
	t.stats.Writes += n
	t.mu.Unlock()
}

// done reports the final progress and returns the counts.
func (t *tracker) done() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	if b := t.batches; b != nil && len(t.times) > 0 {
		s := slices.Sorted(slices.Values(t.times))
		b.SecondsP50 = s[len(s)/2]
		b.SecondsP99 = s[min(len(s)-1, len(s)*99/100)]
		b.SecondsMax = s[len(s)-1]
		c := *b
		t.stats.Batches = &c
	}
	if t.cfg.Progress != nil && t.reported != t.stats.Rows {
		t.cfg.Progress(t.stats.Rows)
		t.reported = t.stats.Rows
	}
	return t.stats
}
