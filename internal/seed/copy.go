package seed

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/items"
)

// copyRows loads the generated rows into PostgreSQL with one COPY through
// pgx's CopyFrom.
func copyRows(ctx context.Context, db *gorm.DB, cfg Config) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("get connection: %w", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := generate(ctx, cfg)
	var (
		batch []items.Item
		i     int
		done  int64
	)
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(batch) {
			if cfg.Progress != nil && done > 0 {
				cfg.Progress(done)
			}
			var ok bool
			if batch, ok = <-batches; !ok {
				return nil, ctx.Err()
			}
			i = 0
		}
		it := batch[i]
		i++
		done++
		return []any{it.ID, it.Data, it.Score}, nil
	})
	return conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("COPY needs a pgx connection, got %T", driverConn)
		}
		n, err := c.Conn().CopyFrom(ctx, pgx.Identifier{items.Table}, []string{"id", "data", "score"}, src)
		if err != nil {
			return fmt.Errorf("COPY into %s: %w", items.Table, err)
		}
		if n != int64(cfg.Rows) {
			return fmt.Errorf("COPY into %s loaded %d rows, want %d", items.Table, n, cfg.Rows)
		}
		if cfg.Progress != nil {
			cfg.Progress(n)
		}
		return nil
	})
}
