package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/iterbench/iterbench/examples/orders"
)

// TestBackfill runs the command on a SQLite file of 3,000 orders: every
// order's totals right, a second run with nothing left, and bad input
// answered with exit 2.
func TestBackfill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "orders.db")
	db, err := gorm.Open(sqlite.Open(path), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AutoMigrate(&orders.Order{}); err != nil {
		t.Fatal(err)
	}
	if err := orders.Seed(context.Background(), db, 3000); err != nil {
		t.Fatal(err)
	}
	var out, errs strings.Builder
	if code := run(context.Background(), []string{"-dsn", path, "-batch-target", "20ms"}, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errs.String())
	}
	if !strings.Contains(out.String(), "done: 3000 rows") {
		t.Errorf("output: %s", out.String())
	}
	var all []orders.Order
	if err := db.Find(&all).Error; err != nil {
		t.Fatal(err)
	}
	for _, o := range all {
		want := o
		if err := orders.ComputeTotals(&want); err != nil {
			t.Fatal(err)
		}
		if o.TotalCents != want.TotalCents || o.LineCount != want.LineCount {
			t.Fatalf("order (%d, %d): %d over %d lines, want %d over %d", o.TenantID, o.ID, o.TotalCents, o.LineCount, want.TotalCents, want.LineCount)
		}
	}
	out.Reset()
	if code := run(context.Background(), []string{"-dsn", path}, &out, &errs); code != 0 || !strings.Contains(out.String(), "done (resumed): 0 rows") {
		t.Errorf("second run: exit %d, %s", code, out.String())
	}
	for _, args := range [][]string{{}, {"-dsn", path, "-batch-target", "0s"}, {"-dsn", path, "extra"}} {
		errs.Reset()
		if code := run(context.Background(), args, &out, &errs); code != 2 || strings.Count(errs.String(), "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line", args, code, errs.String())
		}
	}
	// A table whose key is not unique is refused before anything is written.
	if err := db.Exec("ALTER TABLE orders RENAME TO orders_real").Error; err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE orders (tenant_id INTEGER NOT NULL, id INTEGER NOT NULL, lines TEXT NOT NULL, total_cents INTEGER NOT NULL DEFAULT 0, line_count INTEGER NOT NULL DEFAULT 0)",
		"INSERT INTO orders SELECT tenant_id, id, lines, 0, 0 FROM orders_real LIMIT 5",
		"INSERT INTO orders SELECT tenant_id, id, lines, 0, 0 FROM orders_real LIMIT 5",
	} {
		if err := db.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	errs.Reset()
	if code := run(context.Background(), []string{"-dsn", path}, &out, &errs); code != 2 || !strings.Contains(errs.String(), "not unique") {
		t.Errorf("duplicate keys: exit %d, stderr %q", code, errs.String())
	}
	_ = os.Remove(path)
}
