package strategies_test

import (
	"context"
	"fmt"
	"testing"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/strategies"
)

// BenchmarkBulkForms writes every row's score of a 20,000-row table in
// batches of 1000 with each bulk-update form each database offers; it is
// how DefaultBulkForm was chosen. PostgreSQL and MariaDB run in containers
// (skipped without Docker).
func BenchmarkBulkForms(b *testing.B) {
	b.Run("db=sqlite", func(b *testing.B) { benchBulkForms(b, openSQLite(b)) })
	for _, kind := range []database.Kind{database.Postgres, database.MariaDB} {
		b.Run("db="+string(kind), func(b *testing.B) {
			db, _ := containertest.Open(b, kind)
			benchBulkForms(b, db)
		})
	}
}

func benchBulkForms(b *testing.B, db *gorm.DB) {
	const rows, batch = 20000, 1000
	ctx := context.Background()
	j := itemsJob(b)
	for _, form := range strategies.BulkForms(database.KindOf(db)) {
		b.Run(fmt.Sprintf("form=%s/batch=%d", form, batch), func(b *testing.B) {
			// Every form starts from a freshly seeded table, without the
			// dead rows of the form before.
			if _, err := seed.Seed(ctx, db, seed.Config{Rows: rows, Payload: 1024, Seed: 1}); err != nil {
				b.Fatal(err)
			}
			bulk, err := strategies.NewBulk(ctx, db, j, form)
			if err != nil {
				b.Fatal(err)
			}
			var rs strategies.Batch
			for i := 0; b.Loop(); i++ {
				for start := 1; start <= rows; start += batch {
					rs.Keys, rs.Values = rs.Keys[:0], rs.Values[:0]
					for k := range batch {
						rs.Keys = append(rs.Keys, []any{int64(start + k)})
						rs.Values = append(rs.Values, []any{int64(i + k + 1)})
					}
					if err := bulk.Write(ctx, db, &rs); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
