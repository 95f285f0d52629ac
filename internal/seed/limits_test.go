package seed

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/iterbench/iterbench/internal/database"
)

// TestBatchesBoundedByBytes: whatever the payload, a seeding batch holds at
// most MaxBatchBytes of documents (or one row), so the parent's memory is
// bounded by a few batches.
func TestBatchesBoundedByBytes(t *testing.T) {
	for _, payload := range []int{100, 1024, 64 << 10, 3 << 20, 20 << 20} {
		cfg := Config{Rows: 40, Payload: payload, Seed: 1, Batch: batchRows(1000, payload)}
		for batch := range generate(context.Background(), cfg) {
			bytes := 0
			for _, it := range batch {
				bytes += len(it.Data)
			}
			if len(batch) > 1 && bytes > MaxBatchBytes {
				t.Fatalf("payload %d: a batch of %d rows holds %d bytes, more than %d", payload, len(batch), bytes, MaxBatchBytes)
			}
		}
	}
}

func TestPayloadLimits(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(ctx, database.SQLite, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	if _, err := Seed(ctx, db, Config{Rows: 1, Payload: 1_500_000_000, Seed: 1}); err == nil {
		t.Error("a 1.5 GB document was accepted")
	}
	// Rows larger than a batch's bytes are seeded one at a time.
	if _, err := Seed(ctx, db, Config{Rows: 3, Payload: 6 << 20, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if v, err := Verify(ctx, db, Config{Seed: 1, Payload: 6 << 20}); err != nil || v.Rows != 3 {
		t.Errorf("verify: %+v, %v", v, err)
	}
}
