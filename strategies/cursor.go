package strategies

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/items"
)

// Cursor streams the table through one open query (GORM's Rows and
// ScanRows) and saves each row as it arrives. The open result set holds its
// connection, so every write goes over a second connection from the pool.
type Cursor struct{}

// Name implements Strategy.
func (Cursor) Name() string { return "cursor" }

// Description implements Strategy.
func (Cursor) Description() string {
	return "stream rows from one open query (Rows + ScanRows), save each with its own UPDATE on a second connection"
}

// Run implements Strategy.
func (Cursor) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	err := stream(ctx, db, &t, func(it *items.Item) error {
		if err := saveRow(ctx, db, it); err != nil {
			return err
		}
		t.writes(1)
		t.add(1)
		return nil
	})
	return t.done(), err
}

// stream runs one query over the whole table in id order and calls fn for
// each row, reusing one Item.
func stream(ctx context.Context, db *gorm.DB, t *tracker, fn func(*items.Item) error) error {
	rows, err := db.WithContext(ctx).Model(&items.Item{}).Order("id").Rows()
	if err != nil {
		return fmt.Errorf("open cursor: %w", err)
	}
	defer rows.Close()
	t.reads(1)
	var it items.Item
	for rows.Next() {
		it = items.Item{}
		if err := db.ScanRows(rows, &it); err != nil {
			return fmt.Errorf("scan row: %w", err)
		}
		if err := fn(&it); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read cursor: %w", err)
	}
	return nil
}
