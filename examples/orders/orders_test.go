package orders_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/iterbench/iterbench"
	"github.com/iterbench/iterbench/examples/orders"
)

// TestMain runs the tests, and is also how the test binary runs as
// iterbench's worker, started again by BenchmarkBackfill for every pass.
func TestMain(m *testing.M) { iterbench.Main(m) }

// BenchmarkBackfill compares every strategy on a fresh table of orders:
// 20,000 by default (ITERBENCH_EXAMPLE_ROWS), 5 passes of each
// strategy (ITERBENCH_EXAMPLE_REPEATS), on SQLite unless
// ITERBENCH_EXAMPLE_DSN names a database, its results written into
// ITERBENCH_EXAMPLE_OUT if set.
func BenchmarkBackfill(b *testing.B) {
	opts := iterbench.Options{
		Rows: 20_000,
		Seed: orders.Seed,
		DSN:  os.Getenv("ITERBENCH_EXAMPLE_DSN"),
		Out:  os.Getenv("ITERBENCH_EXAMPLE_OUT"),
	}
	if s := os.Getenv("ITERBENCH_EXAMPLE_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("ITERBENCH_EXAMPLE_ROWS=%q: want a positive number of rows", s)
		}
		opts.Rows = n
	}
	if s := os.Getenv("ITERBENCH_EXAMPLE_REPEATS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("ITERBENCH_EXAMPLE_REPEATS=%q: want a positive number of passes", s)
		}
		opts.Repeats = n
	}
	iterbench.Bench(b, orders.Backfill, opts)
}

// TestComputeOrder checks the calculation on a hand-written order.
func TestComputeOrder(t *testing.T) {
	o := orders.Order{
		TenantID: 3, ID: 17,
		Lines:      `[{"sku":"SKU-00001","qty":2,"price_cents":1250},{"sku":"SKU-00002","qty":1,"price_cents":99},{"sku":"SKU-00003","qty":5,"price_cents":1}]`,
		TotalCents: 7, LineCount: 7, // stale values, to be replaced
	}
	if err := orders.ComputeTotals(&o); err != nil {
		t.Fatal(err)
	}
	if o.TotalCents != 2*1250+99+5 || o.LineCount != 3 {
		t.Errorf("total %d cents over %d lines; want %d over 3", o.TotalCents, o.LineCount, 2*1250+99+5)
	}
	if o.TenantID != 3 || o.ID != 17 {
		t.Errorf("key changed to (%d, %d)", o.TenantID, o.ID)
	}
	empty := orders.Order{Lines: `[]`, TotalCents: 5, LineCount: 5}
	if err := orders.ComputeTotals(&empty); err != nil || empty.TotalCents != 0 || empty.LineCount != 0 {
		t.Errorf("no lines: total %d, count %d, error %v; want 0, 0, nil", empty.TotalCents, empty.LineCount, err)
	}
	if err := orders.ComputeTotals(&orders.Order{Lines: `{"not":"an array"}`}); err == nil {
		t.Error("lines that are not an array: no error")
	}
}
