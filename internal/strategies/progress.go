package strategies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
)

// ProgressTable holds the progress of resumable strategies: one row per
// strategy (or per range of one), the last key written as a JSON array,
// recorded in the same transaction as the rows.
const ProgressTable = "iterbench_progress"

// ProgressDDL creates ProgressTable if it is missing.
const ProgressDDL = "CREATE TABLE IF NOT EXISTS " + ProgressTable + " (name VARCHAR(200) PRIMARY KEY, last_key TEXT NOT NULL)"

// Resumable is implemented by strategies that record how far they got in
// ProgressTable, in the same transaction as each batch they write, and
// when Config.Resume is set continue from there: a killed job loses at most
// the batch it was writing. The others start again from the first row.
//
// A caller can size, pace and stop a resumable strategy batch by batch:
// the production form (iterbench.Run) and the harness run the same Loop,
// with their own Batches.
type Resumable interface {
	Strategy
	// Loop runs the strategy with b; Run is Loop with no Batches.
	Loop(ctx context.Context, db *gorm.DB, cfg Config, b Batches) (Stats, error)
	// Remaining counts the rows Loop with cfg.Resume set has left to do,
	// and says whether any progress was recorded under b's name.
	Remaining(ctx context.Context, db *gorm.DB, cfg Config, b Batches) (rows int64, resumed bool, err error)
}

// progressName is the name progress is recorded under: the job's name and
// the strategy's (or its range's) key.
func progressName(j *job.Job, key string) string { return j.Name + "/" + key }

// loadProgress returns the last key recorded under key, typed as j's key
// columns, or nil when cfg does not ask to resume or nothing was recorded.
func loadProgress(ctx context.Context, db *gorm.DB, cfg Config, key string) ([]any, error) {
	raw, err := loadRecord(ctx, db, cfg, key)
	if raw == nil || err != nil {
		return nil, err
	}
	last, err := decodeKey(cfg.Job, raw)
	if err != nil {
		return nil, fmt.Errorf("progress of %s: %w", progressName(cfg.Job, key), err)
	}
	return last, nil
}

// loadRecord returns the JSON recorded under key, or nil when cfg does not
// ask to resume or nothing was recorded.
func loadRecord(ctx context.Context, db *gorm.DB, cfg Config, key string) (json.RawMessage, error) {
	// Made here if missing, so that a strategy runs on any database; the
	// harness makes it afresh before every run.
	if err := db.WithContext(ctx).Exec(ProgressDDL).Error; err != nil {
		return nil, fmt.Errorf("create %s: %w", ProgressTable, err)
	}
	if !cfg.Resume {
		return nil, nil
	}
	var last []string
	name := progressName(cfg.Job, key)
	if err := db.WithContext(ctx).Raw("SELECT last_key FROM "+ProgressTable+" WHERE name = ?", name).Scan(&last).Error; err != nil {
		return nil, fmt.Errorf("read progress of %s: %w", name, err)
	}
	if len(last) == 0 {
		return nil, nil
	}
	return json.RawMessage(last[0]), nil
}

// decodeKey decodes a key recorded as a JSON array, typed as j's key
// columns.
func decodeKey(j *job.Job, b json.RawMessage) ([]any, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	ptrs := j.Rows.NewKey()
	if len(raw) != len(ptrs) {
		return nil, fmt.Errorf("%d key values recorded, the key has %d columns", len(raw), len(ptrs))
	}
	for i := range raw {
		if err := json.Unmarshal(raw[i], ptrs[i]); err != nil {
			return nil, fmt.Errorf("key column %s: %w", j.Key[i], err)
		}
	}
	return job.Deref(ptrs), nil
}

// saveProgress records last (a key, or parallel-keyset's keys) under
// name, in tx.
func saveProgress(tx *gorm.DB, name string, last any) error {
	b, err := json.Marshal(last)
	if err != nil {
		return fmt.Errorf("record progress of %s: %w", name, err)
	}
	f, err := database.FactsOf(database.KindOf(tx))
	if err != nil {
		return fmt.Errorf("record progress of %s: %w", name, err)
	}
	q := "INSERT INTO " + ProgressTable + " (name, last_key) VALUES (?, ?)" + f.Upsert([]string{"name"}, []string{"last_key"})
	if err := tx.Exec(q, name, string(b)).Error; err != nil {
		return fmt.Errorf("record progress of %s: %w", name, err)
	}
	return nil
}

// withProgress runs write and records last under the job's key in one
// transaction, tried again where it conflicted with another (retry).
func withProgress(ctx context.Context, db *gorm.DB, name string, last []any, write func(tx *gorm.DB) error) error {
	return retry(ctx, func() error {
		return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return errors.Join(write(tx), saveProgress(tx, name, last))
		})
	})
}

// Recorded returns what ProgressTable holds: the last key recorded under
// each name, as JSON.
func Recorded(ctx context.Context, db *gorm.DB) (map[string]json.RawMessage, error) {
	var rows []struct {
		Name    string
		LastKey string
	}
	if err := db.WithContext(ctx).Raw("SELECT name, last_key FROM " + ProgressTable).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read the recorded progress: %w", err)
	}
	found := make(map[string]json.RawMessage, len(rows))
	for _, r := range rows {
		found[r.Name] = json.RawMessage(r.LastKey)
	}
	return found, nil
}
