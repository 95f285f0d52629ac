package seed_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/items"
	"github.com/iterbench/iterbench/internal/seed"
)

func TestSeedResetVerify(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(ctx, database.SQLite, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	var reported int64
	st, err := seed.Seed(ctx, db, seed.Config{Rows: 2500, Payload: 400, Seed: 3, Batch: 1000, Progress: func(n int64) { reported = n }})
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 2500 || reported != 2500 {
		t.Errorf("seeded %d rows, last progress %d", st.Rows, reported)
	}
	var got items.Item
	if err := db.First(&got, 1234).Error; err != nil {
		t.Fatal(err)
	}
	if want := items.Generate(3, 1234, 400); got != want {
		t.Errorf("row 1234 = %+v, want the generated %+v", got, want)
	}

	v, err := seed.Verify(ctx, db, seed.Config{Seed: 3, Payload: 400})
	if err != nil || v.Rows != 2500 || v.Wrong != 2500 || v.FirstWrong != "1" {
		t.Fatalf("freshly seeded: %+v, %v; every score should be stale", v, err)
	}
	// Fix every row but one, then check Verify finds exactly that one.
	for id := int64(1); id <= 2500; id++ {
		if id == 777 {
			continue
		}
		s, _ := items.Score(items.Generate(3, id, 400).Data)
		db.Model(&items.Item{ID: id}).UpdateColumn("score", s)
	}
	v, err = seed.Verify(ctx, db, seed.Config{Seed: 3, Payload: 400})
	if err != nil || v.Wrong != 1 || v.FirstWrong != "777" {
		t.Fatalf("after fixing all but row 777: %+v, %v", v, err)
	}
	// Two wrong rows in chunks far apart, checked on different goroutines:
	// the first in key order is named, whichever checker found it.
	db.Model(&items.Item{ID: 2400}).UpdateColumn("score", -1)
	v, err = seed.Verify(ctx, db, seed.Config{Seed: 3, Payload: 400})
	if err != nil || v.Rows != 2500 || v.Wrong != 2 || v.FirstWrong != "777" {
		t.Fatalf("with rows 777 and 2400 wrong: %+v, %v", v, err)
	}
	if err := seed.Reset(ctx, db, seed.Config{}); err != nil {
		t.Fatal(err)
	}
	if v, _ := seed.Verify(ctx, db, seed.Config{Seed: 3, Payload: 400}); v.Wrong != 2500 {
		t.Errorf("after Reset %d rows wrong, want all 2500", v.Wrong)
	}
	if n, err := seed.Count(ctx, db); err != nil || n != 2500 {
		t.Errorf("Count = %d, %v", n, err)
	}
	// Seeding again replaces the table.
	if _, err := seed.Seed(ctx, db, seed.Config{Rows: 10, Payload: 400, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if n, _ := seed.Count(ctx, db); n != 10 {
		t.Errorf("reseeded table has %d rows, want 10", n)
	}
}

// TestStrangersTableUntouched: a table of iterbench's name that iterbench
// did not create is neither dropped nor reset.
func TestStrangersTableUntouched(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(ctx, database.SQLite, filepath.Join(t.TempDir(), "user.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	if err := db.Exec("CREATE TABLE " + items.Table + " (id INTEGER PRIMARY KEY, note TEXT)").Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("INSERT INTO " + items.Table + " (id, note) VALUES (1, 'mine')").Error; err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Seed(ctx, db, seed.Config{Rows: 10, Payload: 100, Seed: 1}); !errors.Is(err, seed.ErrNotOurs) {
		t.Errorf("Seed: %v, want ErrNotOurs", err)
	}
	if err := seed.Reset(ctx, db, seed.Config{Rows: 10, Payload: 100, Seed: 1}); !errors.Is(err, seed.ErrNotOurs) {
		t.Errorf("Reset: %v, want ErrNotOurs", err)
	}
	var note string
	if err := db.Raw("SELECT note FROM " + items.Table + " WHERE id = 1").Scan(&note).Error; err != nil || note != "mine" {
		t.Errorf("the user's row: %q, %v", note, err)
	}
	// iterbench's own table is recognised and recreated.
	if err := db.Exec("DROP TABLE " + items.Table).Error; err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := seed.Seed(ctx, db, seed.Config{Rows: 10, Payload: 100, Seed: 1}); err != nil {
			t.Fatalf("Seed of iterbench's own table: %v", err)
		}
	}
}

// TestOwnerRowMissing: an iterbench_owner table that has no row for
// iterbench_items (another tool's, or a row deleted by hand) does not make
// the table iterbench's.
func TestOwnerRowMissing(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(ctx, database.SQLite, filepath.Join(t.TempDir(), "o.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	if _, err := seed.Seed(ctx, db, seed.Config{Rows: 10, Payload: 100, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if err := seed.CheckOwner(ctx, db); err != nil {
		t.Fatalf("CheckOwner of the table Seed created: %v", err)
	}
	if err := db.Exec("DELETE FROM "+seed.OwnerTable+" WHERE table_name = ?", items.Table).Error; err != nil {
		t.Fatal(err)
	}
	if err := seed.CheckOwner(ctx, db); !errors.Is(err, seed.ErrNotOurs) {
		t.Errorf("CheckOwner without the owner row: %v, want ErrNotOurs", err)
	}
	if err := seed.Reset(ctx, db, seed.Config{Seed: 1, Payload: 100}); !errors.Is(err, seed.ErrNotOurs) {
		t.Errorf("Reset without the owner row: %v, want ErrNotOurs", err)
	}
}

// TestPayloadRange seeds documents of 200 to 65,536 bytes: their sizes
// differ, the same seed gives the same bytes, and Verify, told the range,
// finds every document the one seeded.
func TestPayloadRange(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(ctx, database.SQLite, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	cfg := seed.Config{Rows: 300, Payload: 200, PayloadMax: 65536, Seed: 4}
	if _, err := seed.Seed(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	var lo, hi int64
	db.Raw("SELECT MIN(length(data)), MAX(length(data)) FROM "+items.Table).Row().Scan(&lo, &hi)
	if lo >= 2000 || hi <= 20000 || hi > 65536+64 {
		t.Errorf("document sizes %d..%d, want a spread across 200..65536", lo, hi)
	}
	if err := db.Exec("UPDATE " + items.Table + " SET score = 1").Error; err != nil {
		t.Fatal(err)
	}
	v, err := seed.Verify(ctx, db, cfg)
	if err != nil || v.AlteredData != 0 || v.Rows != 300 {
		t.Errorf("told the range: %+v, %v; every document must be the one seeded", v, err)
	}
	fixed := cfg
	fixed.PayloadMax = 0
	if v, err := seed.Verify(ctx, db, fixed); err != nil || v.AlteredData == 0 {
		t.Errorf("told a fixed size: %+v, %v; the documents must differ from those", v, err)
	}
}

// TestVerifyAndReset: on SQLite the verification sees the table as the
// run left it, though the reset for the next run writes every row at the
// same time; afterwards every score is 0 and the progress is cleared.
func TestVerifyAndReset(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(ctx, database.SQLite, filepath.Join(t.TempDir(), "vr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	cfg := seed.Config{Rows: 3000, Payload: 300, Seed: 4}
	if _, err := seed.Seed(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= 3000; id++ {
		if id != 2999 {
			s, _ := items.Score(items.Generate(4, id, 300).Data)
			db.Model(&items.Item{ID: id}).UpdateColumn("score", s)
		}
	}
	v, reset, err := seed.VerifyAndReset(ctx, db, cfg)
	if err != nil || !reset || v.Rows != 3000 || v.Wrong != 1 || v.FirstWrong != "2999" {
		t.Fatalf("VerifyAndReset = %+v, reset %v, %v; want the run's table: only row 2999 wrong", v, reset, err)
	}
	if v, _ := seed.Verify(ctx, db, cfg); v.Wrong != 3000 {
		t.Errorf("after it %d rows wrong, want all 3000 reset to 0", v.Wrong)
	}
}
