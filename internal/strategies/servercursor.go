package strategies

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
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
func (ServerCursor) Supports(kind database.Kind, _ *job.Job) bool { return kind == database.Postgres }

// Run implements Strategy.
func (ServerCursor) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	if kind := database.KindOf(db); kind != database.Postgres {
		return t.done(), fmt.Errorf("server-cursor is not available on %s", kind)
	}
	w, err := newBatchWriter(ctx, db, cfg, &t)
	if err != nil {
		return t.done(), err
	}
	write := w.writePage(ctx)
	j := cfg.Job
	// The query as GORM builds it, with its parameters kept apart (the
	// scope's values sent as values, not pasted into the text).
	dry := j.Query(ctx, db.Session(&gorm.Session{DryRun: true})).Order(j.KeyOrder(db)).Find(&[]map[string]any{})
	query, vars := dry.Statement.SQL.String(), dry.Statement.Vars
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := tx.Statement.ConnPool.ExecContext(ctx, "DECLARE iterbench_cur NO SCROLL CURSOR FOR "+query, vars...); err != nil {
			return fmt.Errorf("declare cursor: %w", err)
		}
		fetch := fmt.Sprintf("FETCH %d FROM iterbench_cur", cfg.batch())
		for {
			page, err := j.Rows.Find(tx.Raw(fetch))
			if err != nil {
				return fmt.Errorf("fetch: %w", err)
			}
			t.reads(1)
			if page.Len() == 0 {
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
