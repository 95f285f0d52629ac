package source_test

import (
	"context"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
	"github.com/iterbench/iterbench/internal/source"
	"github.com/iterbench/iterbench/internal/strategies"
)

// tag is a value type with a value-receiver Valuer (as uuid.UUID has),
// stored as hex text.
type tag [4]byte

func (t tag) Value() (driver.Value, error) { return hex.EncodeToString(t[:]), nil }

func (t *tag) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("tag: cannot scan %T", src)
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 4 {
		return fmt.Errorf("tag %q: %v", s, err)
	}
	copy(t[:], b)
	return nil
}

// state is a named int that prints itself.
type state int

func (s state) String() string { return [...]string{"open", "held", "done"}[s%3] }

// widget writes columns of awkward types: bytes with NUL, quotes and
// backslashes, a bool, an int with a String method, and a nullable
// value-receiver Valuer that is nil on some rows. (A named bool does not
// scan from SQLite's and MariaDB's integers, in database/sql itself;
// unnest's form of one is tested in package strategies.)
type widget struct {
	Code   string    `gorm:"primaryKey;size:20;not null"`
	At     time.Time `gorm:"not null"`
	Body   string    `gorm:"not null"`
	Blob   []byte
	Flag   bool  `gorm:"not null;default:false"`
	State  state `gorm:"not null;default:0"`
	Parent *tag  `gorm:"type:varchar(8)"`
}

func computeWidget(w *widget) error {
	n := len(w.Body)
	w.Blob = []byte{0, '\\', byte(n), '"', '{', ','}
	w.Flag = n%2 == 0
	w.State = state(n%3 + 1)
	w.Parent = nil
	if n%4 != 0 {
		w.Parent = &tag{byte(n), 1, 2, 3}
	}
	return nil
}

// generated adds, per database, columns the database computes itself.
var generated = map[database.Kind][]string{
	database.SQLite:   {"ALTER TABLE widgets ADD COLUMN body_len INTEGER GENERATED ALWAYS AS (length(body)) VIRTUAL"},
	database.Postgres: {"ALTER TABLE widgets ADD COLUMN serial_no bigint GENERATED ALWAYS AS IDENTITY, ADD COLUMN body_len integer GENERATED ALWAYS AS (length(body)) STORED"},
	database.MariaDB:  {"ALTER TABLE widgets ADD COLUMN body_len INT AS (CHAR_LENGTH(body)) STORED"},
}

// TestValueTypes runs keyset-bulk in every bulk form, and server-cursor on
// PostgreSQL, over a job that writes columns of awkward types and whose
// scope compares a time to the microsecond, on a table with generated
// columns (and an identity column GENERATED ALWAYS on PostgreSQL), on the
// three databases; the copy must verify.
func TestValueTypes(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cutoff := base.Add(20*time.Second + 123456*time.Microsecond)
	def := job.Def[widget]{
		Name: "widgets", Read: []string{"code", "at", "body"}, Write: []string{"blob", "flag", "state", "parent"},
		Compute: computeWidget,
		Scope:   func(q *gorm.DB) *gorm.DB { return q.Where("at < ?", cutoff) },
	}
	j, err := job.Of(def)
	if err != nil {
		t.Fatal(err)
	}
	dsns := map[database.Kind]func(t *testing.T) string{
		database.SQLite: func(t *testing.T) string { return filepath.Join(t.TempDir(), "w.db") },
	}
	for _, k := range []database.Kind{database.Postgres, database.MariaDB} {
		dsns[k] = func(t *testing.T) string { return containertest.Start(t, k).DSN }
	}
	for _, kind := range database.Kinds() {
		t.Run("db="+string(kind), func(t *testing.T) {
			ctx := context.Background()
			db, err := database.Open(ctx, kind, dsns[kind](t))
			if err != nil {
				t.Fatal(err)
			}
			defer database.Close(db)
			if err := db.AutoMigrate(&widget{}); err != nil {
				t.Fatal(err)
			}
			// Generated columns the copy must not insert into.
			for _, q := range generated[kind] {
				if err := db.Exec(q).Error; err != nil {
					t.Fatal(err)
				}
			}
			var rows []widget
			for i := range 40 {
				// Row 20 is at cutoff less a microsecond: in the scope
				// only if the cutoff keeps its microseconds.
				at := base.Add(time.Duration(i) * time.Second)
				if i == 20 {
					at = cutoff.Add(-time.Microsecond)
				}
				rows = append(rows, widget{Code: fmt.Sprintf("w%02d", i), At: at, Body: fmt.Sprintf("%*s", i, "")})
			}
			if err := db.Create(&rows).Error; err != nil {
				t.Fatal(err)
			}
			c := source.New(j, 0)
			defer c.Remove(ctx, db)
			type run struct {
				s    strategies.Strategy
				form strategies.BulkForm
			}
			var runs []run
			for _, f := range strategies.BulkForms(kind) {
				runs = append(runs, run{strategies.KeysetBulk{}, f})
			}
			if kind == database.Postgres {
				runs = append(runs, run{strategies.ServerCursor{}, ""})
			}
			for _, r := range runs {
				if err := c.Reset(ctx, db); err != nil {
					t.Fatal(err)
				}
				st, err := r.s.Run(ctx, db, strategies.Config{Job: j.WithTable(c.Name()), BatchSize: 7, BulkForm: r.form})
				if err != nil {
					t.Errorf("%s %s: %v", r.s.Name(), r.form, err)
					continue
				}
				if st.Rows != 21 {
					t.Errorf("%s %s: wrote %d rows, want the 21 in the scope", r.s.Name(), r.form, st.Rows)
				}
				if v, err := c.Verify(ctx, db); err != nil || v.Wrong != 0 || v.Rows != 40 {
					t.Errorf("%s %s: %+v, %v", r.s.Name(), r.form, v, err)
				}
			}
		})
	}
}
