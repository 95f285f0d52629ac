package strategies_test

import (
	"context"
	"fmt"
	"testing"

	"gorm.io/gorm"

	"iterbench/seed"
	"iterbench/strategies"
)

// BenchmarkBulkForms writes every row's score in batches of 1000 with each
// bulk-update form the database offers; it is how DefaultBulkForm was chosen.
func BenchmarkBulkForms(b *testing.B) {
	benchBulkForms(b, "sqlite", openSQLite(b))
}

func benchBulkForms(b *testing.B, name string, db *gorm.DB) {
	const rows, batch = 20000, 1000
	ctx := context.Background()
	if _, err := seed.Seed(ctx, db, seed.Config{Rows: rows, Payload: 1024, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	ids := make([]int64, batch)
	scores := make([]int64, batch)
	for _, form := range strategies.BulkForms(db.Name()) {
		b.Run(fmt.Sprintf("db=%s/form=%s/batch=%d", name, form, batch), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				for start := 1; start <= rows; start += batch {
					for j := range batch {
						ids[j] = int64(start + j)
						scores[j] = int64(i + j + 1)
					}
					if err := strategies.BulkUpdate(ctx, db, form, ids, scores); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
