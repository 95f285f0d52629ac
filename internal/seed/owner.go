package seed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/items"
)

// OwnerTable marks the tables iterbench created: a row naming the table,
// written together with the table. A table of items.Table's name without
// its row is somebody else's and is never dropped, reset or written.
const OwnerTable = "iterbench_owner"

// ErrNotOurs is returned when items.Table exists but iterbench did not
// create it.
var ErrNotOurs = errors.New("table " + items.Table + " exists but iterbench did not create it, so it was left untouched: " +
	"rename or drop it yourself if it is not needed, or point --dsn at another database")

// CheckOwner returns ErrNotOurs when items.Table exists without iterbench's
// mark, and nil when it is iterbench's or does not exist.
func CheckOwner(ctx context.Context, db *gorm.DB) error {
	ours, err := Owned(ctx, db, items.Table)
	if err == nil && !ours {
		return ErrNotOurs
	}
	return err
}

// Owned reports whether table is iterbench's to drop and write: it does
// not exist, or it exists with iterbench's mark in OwnerTable.
func Owned(ctx context.Context, db *gorm.DB, table string) (bool, error) {
	db = db.WithContext(ctx)
	m := db.Migrator()
	if !m.HasTable(table) {
		return true, nil
	}
	if !m.HasTable(OwnerTable) {
		return false, nil
	}
	var n int64
	if err := db.Table(OwnerTable).Where("table_name = ?", table).Count(&n).Error; err != nil {
		return false, fmt.Errorf("read %s: %w", OwnerTable, err)
	}
	return n > 0, nil
}

// markOwned records that iterbench created items.Table.
func markOwned(ctx context.Context, db *gorm.DB) error { return MarkOwned(ctx, db, items.Table) }

// Disown removes table's mark, once iterbench has dropped it.
func Disown(ctx context.Context, db *gorm.DB, table string) error {
	if !db.WithContext(ctx).Migrator().HasTable(OwnerTable) {
		return nil
	}
	if err := db.WithContext(ctx).Exec("DELETE FROM "+OwnerTable+" WHERE table_name = ?", table).Error; err != nil {
		return fmt.Errorf("write %s: %w", OwnerTable, err)
	}
	return nil
}

// MarkOwned records that iterbench created table.
func MarkOwned(ctx context.Context, db *gorm.DB, table string) error {
	db = db.WithContext(ctx)
	ddl := "CREATE TABLE IF NOT EXISTS " + OwnerTable + " (table_name VARCHAR(64) PRIMARY KEY, created_by VARCHAR(255) NOT NULL, created_at VARCHAR(64) NOT NULL)"
	if err := db.Exec(ddl).Error; err != nil {
		return fmt.Errorf("create %s: %w", OwnerTable, err)
	}
	if err := db.Exec("DELETE FROM "+OwnerTable+" WHERE table_name = ?", table).Error; err != nil {
		return fmt.Errorf("write %s: %w", OwnerTable, err)
	}
	host, _ := os.Hostname()
	by := fmt.Sprintf("iterbench on %s, pid %d", host, os.Getpid())
	if err := db.Exec("INSERT INTO "+OwnerTable+" (table_name, created_by, created_at) VALUES (?, ?, ?)",
		table, by, time.Now().UTC().Format(time.RFC3339)).Error; err != nil {
		return fmt.Errorf("write %s: %w", OwnerTable, err)
	}
	return nil
}
