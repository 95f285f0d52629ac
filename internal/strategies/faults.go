//go:build iterbench_faults

package strategies

import (
	"context"
	"fmt"
	"os"

	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
)

// FaultsTag is the build tag that registers the faulty strategies.
const FaultsTag = "iterbench_faults"

// faults returns the deliberately faulty strategies: each reports success,
// or dies, in a way iterbench must catch. Only binaries built with the
// iterbench_faults tag (tests') have them.
func faults() []Strategy {
	return []Strategy{FaultWrongScores{}, FaultAlterData{}, FaultPanic{}, FaultExit{}}
}

// FaultWrongScores runs keyset-bulk and then writes the first row's
// computed values over the last row's, and reports success: verification
// must catch it.
type FaultWrongScores struct{}

// Name implements Strategy.
func (FaultWrongScores) Name() string { return "fault-wrong-scores" }

// Description implements Strategy.
func (FaultWrongScores) Description() string {
	return "test fault: writes a wrong row and reports success"
}

// Run implements Strategy.
func (FaultWrongScores) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	st, err := KeysetBulk{}.Run(ctx, db, cfg)
	if err != nil || st.Rows < 2 {
		return st, err
	}
	return st, swap(ctx, db, cfg.Job, cfg.Job.Write)
}

// FaultAlterData runs keyset-bulk and then changes a column it only reads
// in the last row, and reports success: verification must catch it.
type FaultAlterData struct{}

// Name implements Strategy.
func (FaultAlterData) Name() string { return "fault-alter-data" }

// Description implements Strategy.
func (FaultAlterData) Description() string {
	return "test fault: alters a column it only reads and reports success"
}

// Run implements Strategy.
func (FaultAlterData) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	st, err := KeysetBulk{}.Run(ctx, db, cfg)
	if err != nil || st.Rows < 2 {
		return st, err
	}
	var readOnly []string
	for _, c := range cfg.Job.Read {
		if !slices.Contains(cfg.Job.Key, c) && !slices.Contains(cfg.Job.Write, c) {
			readOnly = append(readOnly, c)
		}
	}
	if len(readOnly) == 0 {
		return st, fmt.Errorf("fault-alter-data: job %s reads no column it does not write", cfg.Job.Name)
	}
	return st, swap(ctx, db, cfg.Job, readOnly[:1])
}

// swap sets the columns cols of the last row in key order to the first
// row's values.
func swap(ctx context.Context, db *gorm.DB, j *job.Job, cols []string) error {
	first, err := j.Rows.Find(j.Query(ctx, db).Order(j.KeyOrder(db)).Limit(1))
	if err != nil {
		return err
	}
	desc := make([]string, len(j.Key))
	for i, k := range j.Key {
		desc[i] = database.Quote(database.KindOf(db), k) + " DESC"
	}
	last, err := j.Rows.Find(j.Query(ctx, db).Order(strings.Join(desc, ", ")).Limit(1))
	if err != nil {
		return err
	}
	if err := first.Compute(0); err != nil {
		return err
	}
	kind := database.KindOf(db)
	sets := make([]string, len(cols))
	for i, c := range cols {
		sets[i] = database.Quote(kind, c) + " = ?"
	}
	q := "UPDATE " + database.Quote(kind, j.Table) + " SET " + strings.Join(sets, ", ") + " WHERE " + database.KeyEqual(database.QuoteAll(kind, j.Key), "")
	return db.WithContext(ctx).Exec(q, append(first.Values(0, cols), last.Key(0)...)...).Error
}

// FaultPanic panics after reporting some progress.
type FaultPanic struct{}

func (FaultPanic) Name() string        { return "fault-panic" }
func (FaultPanic) Description() string { return "test fault: panics mid-run" }
func (FaultPanic) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	if cfg.Progress != nil {
		cfg.Progress(1)
	}
	panic("fault-panic: a deliberate panic in the strategy")
}

// FaultExit ends the worker process without its final message.
type FaultExit struct{}

func (FaultExit) Name() string        { return "fault-exit" }
func (FaultExit) Description() string { return "test fault: exits mid-run without reporting" }
func (FaultExit) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	fmt.Fprintln(os.Stderr, "fault-exit: leaving without a word on stdout")
	os.Exit(3)
	return Stats{}, nil
}
