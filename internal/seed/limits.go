package seed

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
)

// MaxBatchBytes bounds the generated JSON of one seeding batch, so that the
// parent's memory stays bounded whatever the payload: a batch holds at most
// this many bytes of documents (and at least one row).
const MaxBatchBytes = 4 << 20

// batchRows is the number of rows per seeding batch: batch, or fewer when
// that many documents of payload bytes would exceed MaxBatchBytes.
func batchRows(batch, payload int) int {
	if batch <= 0 {
		batch = 1000
	}
	return max(1, min(batch, MaxBatchBytes/max(payload, 1)))
}

// ErrTooLarge is returned when one document is larger than the database
// takes in one value.
var ErrTooLarge = errors.New("the payload is larger than the database takes in one value")

// MaxPayload returns the largest document, in bytes, that db takes in one
// value: SQLite's SQLITE_MAX_LENGTH (1,000,000,000 by default), PostgreSQL's
// jsonb limit (255 MiB), and on MariaDB the server's max_allowed_packet
// (one row travels in one packet), less 1 KiB for the rest of the row.
func MaxPayload(ctx context.Context, db *gorm.DB) (int64, error) {
	f, err := database.FactsOf(database.KindOf(db))
	if err != nil {
		return 0, err
	}
	limit := f.MaxValue
	if f.MaxValueQuery != "" {
		if err := db.WithContext(ctx).Raw(f.MaxValueQuery).Scan(&limit).Error; err != nil {
			return 0, fmt.Errorf("read the largest value (%s): %w", f.MaxValueQuery, err)
		}
	}
	return limit - 1024, nil
}

// CheckPayload returns ErrTooLarge, with the figures, when documents of
// payload bytes do not fit in one value of db.
func CheckPayload(ctx context.Context, db *gorm.DB, payload int) error {
	limit, err := MaxPayload(ctx, db)
	if err != nil {
		return err
	}
	if int64(payload) > limit {
		return fmt.Errorf("%w: --payload %d bytes is more than %s takes in one value (%d bytes); give a smaller --payload",
			ErrTooLarge, payload, database.KindOf(db), limit)
	}
	return nil
}

// Estimate is the space, in bytes, a table of rows documents of payload
// bytes takes while it is measured: the rows with their overhead, the
// primary key's index, and as much again for the row versions (PostgreSQL,
// MariaDB's undo) or the write-ahead log (SQLite) an update of every row
// writes.
func Estimate(rows, payload int) uint64 {
	const rowOverhead, indexEntry = 64, 32
	return 2 * uint64(rows) * (uint64(payload) + rowOverhead + indexEntry)
}
