package strategies

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/database"
	"github.com/iterbench/iterbench/items"
)

// Resumable is implemented by strategies that record how far they got in
// items.ProgressTable, in the same transaction as each batch they write, and
// when Config.Resume is set continue from there: a killed job loses at most
// the batch it was writing. The others start again from the first row.
type Resumable interface {
	Resumable()
}

// Resumable implements Resumable.
func (KeysetBulk) Resumable() {}

// Resumable implements Resumable.
func (ParallelKeyset) Resumable() {}

// Resumable implements Resumable.
func (SetBased) Resumable() {}

// loadProgress returns the last id recorded under key, or 0 when cfg does
// not ask to resume or nothing was recorded.
func loadProgress(ctx context.Context, db *gorm.DB, cfg Config, key string) (int64, error) {
	if !cfg.Resume {
		return 0, nil
	}
	var last []int64
	if err := db.WithContext(ctx).Raw("SELECT last_id FROM "+items.ProgressTable+" WHERE name = ?", key).Scan(&last).Error; err != nil {
		return 0, fmt.Errorf("read progress of %s: %w", key, err)
	}
	if len(last) == 0 {
		return 0, nil
	}
	return last[0], nil
}

// saveProgress records lastID under key, in tx.
func saveProgress(tx *gorm.DB, key string, lastID int64) error {
	q := "INSERT INTO " + items.ProgressTable + " (name, last_id) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id"
	if database.KindOf(tx) == database.MariaDB {
		q = "INSERT INTO " + items.ProgressTable + " (name, last_id) VALUES (?, ?) ON DUPLICATE KEY UPDATE last_id = VALUES(last_id)"
	}
	if err := tx.Exec(q, key, lastID).Error; err != nil {
		return fmt.Errorf("record progress of %s: %w", key, err)
	}
	return nil
}

// withProgress runs write and records lastID under key in one transaction.
func withProgress(ctx context.Context, db *gorm.DB, key string, lastID int64, write func(tx *gorm.DB) error) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return errors.Join(write(tx), saveProgress(tx, key, lastID))
	})
}
