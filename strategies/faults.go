//go:build iterbench_faults

package strategies

import (
	"context"
	"fmt"
	"os"

	gojson "github.com/goccy/go-json"
	"gorm.io/gorm"

	"github.com/iterbench/iterbench/items"
)

// FaultsTag is the build tag that registers the faulty strategies.
const FaultsTag = "iterbench_faults"

// faults returns the deliberately faulty strategies: each reports success,
// or dies, in a way iterbench must catch. Only binaries built with the
// iterbench_faults tag (tests') have them.
func faults() []Strategy {
	return []Strategy{FaultWrongScores{}, FaultAlterData{}, FaultPanic{}, FaultExit{}}
}

// FaultWrongScores writes a score off by one into every row and reports
// success.
type FaultWrongScores struct{}

func (FaultWrongScores) Name() string { return "fault-wrong-scores" }
func (FaultWrongScores) Description() string {
	return "test fault: writes wrong scores and reports success"
}
func (FaultWrongScores) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	st, err := KeysetBulk{}.Run(ctx, db, cfg)
	if err != nil {
		return st, err
	}
	err = db.WithContext(ctx).Exec("UPDATE " + items.Table + " SET score = score + 1").Error
	return st, err
}

// FaultAlterData computes every score right but changes one row's
// document (a field that does not enter the score) and reports success.
type FaultAlterData struct{}

func (FaultAlterData) Name() string { return "fault-alter-data" }
func (FaultAlterData) Description() string {
	return "test fault: alters a document and reports success"
}
func (FaultAlterData) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	st, err := KeysetBulk{}.Run(ctx, db, cfg)
	if err != nil {
		return st, err
	}
	var it items.Item
	if err := db.WithContext(ctx).Order("id").First(&it).Error; err != nil {
		return st, err
	}
	var d items.Doc
	if err := gojson.Unmarshal([]byte(it.Data), &d); err != nil {
		return st, err
	}
	d.Note = "altered"
	b, err := gojson.Marshal(d)
	if err != nil {
		return st, err
	}
	return st, db.WithContext(ctx).Exec("UPDATE "+items.Table+" SET data = ? WHERE id = ?", string(b), it.ID).Error
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
