package source_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/source"
	"github.com/iterbench/iterbench/internal/strategies"
)

type note struct {
	Code  string `gorm:"primaryKey;size:20;not null"`
	Text  string `gorm:"not null"`
	Words int64  `gorm:"not null;default:0"`
}

func (note) TableName() string { return "notes" }

func words(n *note) error { n.Words = int64(len(strings.Fields(n.Text))); return nil }

// setup makes a table of 50 notes keyed by text, returns its job (scoped
// to the notes whose text has an "a" when scoped is set) and its copy,
// made once.
func setup(t *testing.T, scoped bool) (*gorm.DB, *source.Table) {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, database.SQLite, filepath.Join(t.TempDir(), "notes.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(db) })
	if err := db.AutoMigrate(&note{}); err != nil {
		t.Fatal(err)
	}
	var rows []note
	for i := range 50 {
		rows = append(rows, note{Code: string(rune('A'+i%26)) + strings.Repeat("z", i), Text: strings.Repeat("a b ", i%7) + strings.Repeat("c ", i%3)})
	}
	if err := db.Create(&rows).Error; err != nil {
		t.Fatal(err)
	}
	def := job.Def[note]{Name: "notes", Read: []string{"code", "text"}, Write: []string{"words"}, Compute: words}
	if scoped {
		def.Scope = func(q *gorm.DB) *gorm.DB { return q.Where("text LIKE ?", "%a%") }
	}
	j, err := job.Of(def)
	if err != nil {
		t.Fatal(err)
	}
	c := source.New(j, 0)
	if err := c.Reset(ctx, db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Drop(ctx, db) })
	return db, c
}

// TestVerify checks that Verify finds a wrong written value, a changed
// column that is only read, and, for a scoped job, a row outside the scope
// that was written; and that a correct run passes.
func TestVerify(t *testing.T) {
	ctx := context.Background()
	for _, scoped := range []bool{false, true} {
		db, c := setup(t, scoped)
		if c.Copied() != 50 {
			t.Fatalf("copied %d rows, want 50", c.Copied())
		}
		v, err := c.Verify(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		// Before the run every row whose count is not 0 is wrong: the
		// check can fail.
		if v.Rows != 50 || v.Wrong == 0 {
			t.Fatalf("scoped %v, before the run: %+v; stale rows must be wrong", scoped, v)
		}
		j := c.Job.WithTable(c.Name())
		if _, err := (strategies.KeysetBulk{}).Run(ctx, db, strategies.Config{Job: j, BatchSize: 7}); err != nil {
			t.Fatal(err)
		}
		if v, err := c.Verify(ctx, db); err != nil || v.Wrong != 0 || v.Rows != 50 {
			t.Fatalf("scoped %v, after keyset-bulk: %+v, %v", scoped, v, err)
		}
		for _, f := range []struct {
			name, set string
			altered   int64
		}{
			{"written value", "words = words + 1", 0},
			{"read column", "text = text || 'x'", 1},
		} {
			if err := db.Exec("UPDATE " + c.Name() + " SET " + f.set + " WHERE code = 'Czz'").Error; err != nil {
				t.Fatal(err)
			}
			v, err := c.Verify(ctx, db)
			if err != nil || v.Wrong != 1 || v.AlteredData != f.altered || v.FirstWrong != "Czz" {
				t.Errorf("scoped %v, %s changed in row Czz: %+v, %v", scoped, f.name, v, err)
			}
			if err := c.Reset(ctx, db); err != nil {
				t.Fatal(err)
			}
			if _, err := (strategies.KeysetBulk{}).Run(ctx, db, strategies.Config{Job: j, BatchSize: 7}); err != nil {
				t.Fatal(err)
			}
		}
		if scoped {
			// Row A (i = 0) has no "a": outside the scope, it must keep
			// its stale count even though Compute would give it another.
			if err := db.Exec("UPDATE " + c.Name() + " SET words = 1 WHERE code = 'A'").Error; err != nil {
				t.Fatal(err)
			}
			if v, err := c.Verify(ctx, db); err != nil || v.Wrong != 1 || v.FirstWrong != "A" {
				t.Errorf("a row outside the scope written: %+v, %v", v, err)
			}
		}
	}
}

// TestCopyKeepsIndexes checks that the copy has the source's indexes (an
// index on a written column changes what an UPDATE costs) and that Drop
// leaves nothing behind.
func TestCopyKeepsIndexes(t *testing.T) {
	ctx := context.Background()
	db, c := setup(t, false)
	if err := db.Exec("CREATE INDEX notes_words ON notes (words)").Error; err != nil {
		t.Fatal(err)
	}
	if err := c.Reset(ctx, db); err != nil {
		t.Fatal(err)
	}
	var n int64
	db.Raw("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql LIKE '%(words)%'", c.Name()).Scan(&n)
	if n != 1 {
		t.Errorf("the copy has %d indexes on words, want 1", n)
	}
	if err := c.Drop(ctx, db); err != nil {
		t.Fatal(err)
	}
	if db.Migrator().HasTable(c.Name()) {
		t.Error("Drop left the copy")
	}
	if ours, _ := seed.Owned(ctx, db, c.Name()); !ours {
		t.Error("after Drop the name is not free")
	}
}
