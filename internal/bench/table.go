package bench

import (
	"context"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/items"
	"github.com/iterbench/iterbench/internal/probe"
	"github.com/iterbench/iterbench/internal/seed"
)

// Table is the table runs measure on: set up once, made ready before every
// run, and checked after it. iterbench's own table is seeded from
// generated data (see package seed); a user's job is measured on a copy of
// its table (see package source).
type Table interface {
	// Name is the table the workers write.
	Name() string
	// Reset makes the table ready for a run, with no progress recorded.
	Reset(ctx context.Context, db *gorm.DB) error
	// Verify checks every row after a run.
	Verify(ctx context.Context, db *gorm.DB) (seed.Verification, error)
	// Written counts the rows done, after a worker was killed.
	Written(ctx context.Context, db *gorm.DB) (int64, error)
	// ProbeTarget is what the application probe works on; nil: iterbench's
	// own table, by id.
	ProbeTarget(ctx context.Context, db *gorm.DB) (*probe.Target, error)
}

// itemsTable is iterbench's own table, seeded from generated data.
type itemsTable struct{ cfg Config }

// Name implements Table.
func (itemsTable) Name() string { return items.Table }

// Reset implements Table.
func (t itemsTable) Reset(ctx context.Context, db *gorm.DB) error {
	return seed.Reset(ctx, db, seed.Config{Rows: t.cfg.Rows, Payload: t.cfg.Payload, PayloadMax: t.cfg.PayloadMax, Seed: t.cfg.DataSeed})
}

// Verify implements Table.
func (t itemsTable) Verify(ctx context.Context, db *gorm.DB) (seed.Verification, error) {
	return seed.Verify(ctx, db, seed.Config{Seed: t.cfg.DataSeed, Payload: t.cfg.Payload, PayloadMax: t.cfg.PayloadMax})
}

// VerifyAndReset verifies the table and resets it for the next run at
// the same time, where the database allows (seed.VerifyAndReset).
func (t itemsTable) VerifyAndReset(ctx context.Context, db *gorm.DB) (seed.Verification, bool, error) {
	return seed.VerifyAndReset(ctx, db, seed.Config{Rows: t.cfg.Rows, Seed: t.cfg.DataSeed, Payload: t.cfg.Payload, PayloadMax: t.cfg.PayloadMax})
}

// Written implements Table.
func (itemsTable) Written(ctx context.Context, db *gorm.DB) (int64, error) {
	return seed.Written(ctx, db)
}

// ProbeTarget implements Table.
func (itemsTable) ProbeTarget(context.Context, *gorm.DB) (*probe.Target, error) { return nil, nil }

// table is the table cfg's runs measure on.
func (cfg Config) table() Table {
	if cfg.Table != nil {
		return cfg.Table
	}
	return itemsTable{cfg}
}
