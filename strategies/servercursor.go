package strategies

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/database"
	"github.com/iterbench/iterbench/items"
)

// ServerCursor (PostgreSQL) declares a cursor in a transaction and fetches
// BatchSize rows at a time from it: the server keeps the position, the
// client holds one batch. Each batch is written with one bulk UPDATE on a
// second connection, outside the cursor's transaction.
type ServerCursor struct{}

// Name implements Strategy.
func (ServerCursor) Name() string { return "server-cursor" }

// Description implements Strategy.
func (ServerCursor) Description() string {
	return "PostgreSQL: DECLARE CURSOR in a transaction, FETCH n at a time, write each batch with one bulk UPDATE on a second connection"
}

// Supports implements Supporter: only PostgreSQL has cursors outside
// stored procedures.
func (ServerCursor) Supports(kind database.Kind) bool { return kind == database.Postgres }

// Run implements Strategy.
func (ServerCursor) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	if kind := database.KindOf(db); kind != database.Postgres {
		return t.done(), fmt.Errorf("server-cursor is not available on %s", kind)
	}
	w, err := newBatchWriter(db, cfg, &t)
	if err != nil {
		return t.done(), err
	}
	write := w.writePage(ctx)
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("DECLARE iterbench_cur NO SCROLL CURSOR FOR SELECT id, data, score FROM " + items.Table + " ORDER BY id").Error; err != nil {
			return fmt.Errorf("declare cursor: %w", err)
		}
		fetch := fmt.Sprintf("FETCH %d FROM iterbench_cur", cfg.batch())
		for {
			var page []items.Item
			if err := tx.Raw(fetch).Scan(&page).Error; err != nil {
				return fmt.Errorf("fetch: %w", err)
			}
			t.reads(1)
			if len(page) == 0 {
				return nil
			}
			// The writes go through db, not tx: another connection.
			if err := write(page); err != nil {
				return err
			}
		}
	})
	return t.done(), err
}
