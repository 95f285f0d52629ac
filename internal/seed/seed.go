// Package seed creates the table iterbench measures, fills it with
// deterministic rows, resets it between runs and verifies its contents.
package seed

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"time"

	gojson "github.com/goccy/go-json"
	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/items"
	"github.com/iterbench/iterbench/internal/strategies"
)

// Config says what to seed.
type Config struct {
	// Rows is the number of rows, with ids 1..Rows.
	Rows int
	// Payload is the approximate size in bytes of each JSON document; with
	// PayloadMax above it, the smallest of a log-uniform range (see
	// items.Size).
	Payload int
	// PayloadMax, if above Payload, is the largest document's size.
	PayloadMax int
	// Seed selects the generated data; the same seed gives the same bytes.
	Seed uint64
	// Batch is the number of rows per INSERT statement, fewer when that many
	// documents would exceed MaxBatchBytes.
	Batch int
	// Progress, if set, is called with the number of rows inserted so far.
	Progress func(done int64)
}

// SizeOf is row id's document size.
func (c Config) SizeOf(id int64) int { return items.Size(c.Seed, id, c.Payload, c.PayloadMax) }

// Largest is the largest document's size.
func (c Config) Largest() int { return max(c.Payload, c.PayloadMax) }

// DefaultRows is the default table size.
const DefaultRows = 50000

// DefaultSeed is the default data seed.
const DefaultSeed = 1

// Stats describes a finished seeding.
type Stats struct {
	// Rows is the number of rows inserted.
	Rows int64
	// Duration is the time taken to create the table and insert the rows.
	Duration time.Duration
	// Method names how the rows were inserted.
	Method string
}

// CreateTable drops and recreates items.Table with the column types each
// database has for JSON, and marks it as iterbench's (see OwnerTable). It
// returns ErrNotOurs, and changes nothing, when a table of that name exists
// that iterbench did not create.
func CreateTable(ctx context.Context, db *gorm.DB) error {
	if err := CheckOwner(ctx, db); err != nil {
		return err
	}
	f, err := database.FactsOf(database.KindOf(db))
	if err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	ddl := f.ItemsDDL(items.Table)
	db = db.WithContext(ctx)
	if err := db.Exec("DROP TABLE IF EXISTS " + items.Table).Error; err != nil {
		return fmt.Errorf("drop table %s: %w", items.Table, err)
	}
	if err := markOwned(ctx, db); err != nil {
		return err
	}
	if err := db.Exec(ddl).Error; err != nil {
		return fmt.Errorf("create table %s: %w", items.Table, err)
	}
	return ClearProgress(ctx, db, items.JobName)
}

// ClearProgress removes what strategies.ProgressTable holds for the job
// called job (its names job/…), so that no run resumes from another's
// progress, and leaves every other job's alone: a production job's progress
// in the same database is not iterbench's to drop. It makes the table if it
// is missing, or afresh if an earlier version of iterbench left it with
// another shape.
func ClearProgress(ctx context.Context, db *gorm.DB, job string) error {
	db = db.WithContext(ctx)
	m := db.Migrator()
	if m.HasTable(strategies.ProgressTable) && !m.HasColumn(strategies.ProgressTable, "last_key") {
		if err := db.Exec("DROP TABLE " + strategies.ProgressTable).Error; err != nil {
			return fmt.Errorf("drop %s: %w", strategies.ProgressTable, err)
		}
	}
	if err := db.Exec(strategies.ProgressDDL).Error; err != nil {
		return fmt.Errorf("create %s: %w", strategies.ProgressTable, err)
	}
	prefix := job + "/"
	if err := db.Exec("DELETE FROM "+strategies.ProgressTable+" WHERE SUBSTR(name, 1, ?) = ?", len(prefix), prefix).Error; err != nil {
		return fmt.Errorf("empty %s of %s: %w", strategies.ProgressTable, job, err)
	}
	return nil
}

// DropIfEmpty drops iterbench's bookkeeping table (strategies.ProgressTable
// or OwnerTable) if it holds no row: what a run leaves behind on a user's
// server.
func DropIfEmpty(ctx context.Context, db *gorm.DB, table string) error {
	db = db.WithContext(ctx)
	if !db.Migrator().HasTable(table) {
		return nil
	}
	var n int64
	if err := db.Table(table).Count(&n).Error; err != nil {
		return fmt.Errorf("count %s: %w", table, err)
	}
	if n > 0 {
		return nil
	}
	if err := db.Exec("DROP TABLE " + table).Error; err != nil {
		return fmt.Errorf("drop %s: %w", table, err)
	}
	return nil
}

// Seed recreates the table and inserts cfg.Rows generated rows, in batches
// inside one transaction.
func Seed(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	cfg.Batch = batchRows(cfg.Batch, cfg.Largest())
	if err := CheckPayload(ctx, db, cfg.Largest()); err != nil {
		return Stats{}, err
	}
	start := time.Now()
	if err := CreateTable(ctx, db); err != nil {
		return Stats{}, err
	}
	method := fmt.Sprintf("prepared multi-row INSERT, %d rows per statement, one transaction", cfg.Batch)
	var err error
	if f, _ := database.FactsOf(database.KindOf(db)); f.CopyFrom {
		method = "COPY (pgx CopyFrom, binary)"
		err = copyRows(ctx, db, cfg)
	} else {
		err = insertRows(ctx, db, cfg)
	}
	if err != nil {
		return Stats{}, err
	}
	if err := Analyze(ctx, db); err != nil {
		return Stats{}, err
	}
	return Stats{Rows: int64(cfg.Rows), Duration: time.Since(start), Method: method}, nil
}

// generate produces the rows of cfg in batches of cfg.Batch on a goroutine
// of its own, so that generating the JSON overlaps with inserting it. The
// channel is closed after the last batch or when ctx is done.
func generate(ctx context.Context, cfg Config) <-chan []items.Item {
	// Up to four batches wait while one is sent; rows larger than a batch's
	// bytes (one row a batch) wait one at a time.
	buffered := 4
	if cfg.Batch == 1 {
		buffered = 1
	}
	out := make(chan []items.Item, buffered)
	go func() {
		defer close(out)
		for first := int64(1); first <= int64(cfg.Rows); first += int64(cfg.Batch) {
			last := min(first+int64(cfg.Batch)-1, int64(cfg.Rows))
			batch := make([]items.Item, 0, last-first+1)
			for id := first; id <= last; id++ {
				batch = append(batch, items.Generate(cfg.Seed, id, cfg.SizeOf(id)))
			}
			select {
			case out <- batch:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// insertRows inserts the generated rows with one prepared multi-row INSERT
// per batch, all in one transaction.
func insertRows(ctx context.Context, db *gorm.DB, cfg Config) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	full, err := tx.PrepareContext(ctx, insertSQL(database.KindOf(db), cfg.Batch))
	if err != nil {
		return fmt.Errorf("prepare insert: %w", err)
	}
	defer full.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	args := make([]any, 0, 3*cfg.Batch)
	var done int64
	for batch := range generate(ctx, cfg) {
		args = args[:0]
		for _, it := range batch {
			args = append(args, it.ID, it.Data, it.Score)
		}
		stmt := full
		if len(batch) < cfg.Batch {
			if stmt, err = tx.PrepareContext(ctx, insertSQL(database.KindOf(db), len(batch))); err != nil {
				return fmt.Errorf("prepare insert: %w", err)
			}
			defer stmt.Close()
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert rows %d..%d: %w", batch[0].ID, batch[len(batch)-1].ID, err)
		}
		done += int64(len(batch))
		if cfg.Progress != nil {
			cfg.Progress(done)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// insertSQL returns an INSERT of n rows in the database's placeholder style.
func insertSQL(kind database.Kind, n int) string {
	f, _ := database.FactsOf(kind)
	var b strings.Builder
	b.WriteString("INSERT INTO " + items.Table + " (id, data, score) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "(%s,%s,%s)", f.Placeholder(3*i+1), f.Placeholder(3*i+2), f.Placeholder(3*i+3))
	}
	return b.String()
}

// Analyze refreshes the planner's statistics for the table; on PostgreSQL
// it also vacuums it, so that every run finds the visibility map and hint
// bits set rather than setting them on its first read, and takes a
// checkpoint, so that no run shares the server with the seed's write-out.
func Analyze(ctx context.Context, db *gorm.DB) error { return AnalyzeTable(ctx, db, items.Table) }

// AnalyzeTable is Analyze for any table.
func AnalyzeTable(ctx context.Context, db *gorm.DB, table string) error {
	f, err := database.FactsOf(database.KindOf(db))
	if err != nil {
		return err
	}
	db = db.WithContext(ctx)
	for _, q := range f.Analyze(f.Quote(table)) {
		if err := db.Exec(q).Error; err != nil {
			return fmt.Errorf("analyze %s: %s: %w", table, q, err)
		}
	}
	for _, q := range f.Settle {
		db.Exec(q) // worth it, not required (database.Facts.Settle)
	}
	return nil
}

// Reset returns the table to the state seeding left, so that every run
// starts from the same physical table. On SQLite, which updates rows in
// place, it sets every score back to 0 and empties the write-ahead log. On
// PostgreSQL an update leaves the old row version behind (and on MariaDB an
// undo record to purge), so Reset seeds the table afresh: no run inherits
// the dead rows of the one before.
func Reset(ctx context.Context, db *gorm.DB, cfg Config) error {
	if f, _ := database.FactsOf(database.KindOf(db)); !f.UpdatesInPlace {
		if _, err := Seed(ctx, db, cfg); err != nil {
			return fmt.Errorf("reseed: %w", err)
		}
		return nil
	}
	if err := resetScores(ctx, db); err != nil {
		return err
	}
	return checkpoint(ctx, db)
}

// resetScores sets every score back to 0 and clears the job's progress.
func resetScores(ctx context.Context, db *gorm.DB) error {
	if err := CheckOwner(ctx, db); err != nil {
		return err
	}
	if err := db.WithContext(ctx).Exec("UPDATE " + items.Table + " SET score = 0").Error; err != nil {
		return fmt.Errorf("reset scores: %w", err)
	}
	return ClearProgress(ctx, db, items.JobName)
}

// checkpoint empties SQLite's write-ahead log into the database file.
func checkpoint(ctx context.Context, db *gorm.DB) error {
	if err := db.WithContext(ctx).Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		return fmt.Errorf("checkpoint write-ahead log: %w", err)
	}
	return nil
}

// VerifyAndReset verifies the table as Verify does and, at the same time,
// does Reset's work for the next run, where the database lets a read keep
// its snapshot while another connection writes (SQLite's write-ahead
// log, which Reset updates in place): the reset starts once the
// verification's read holds its snapshot, so it changes nothing the
// verification sees, and the two share the CPUs. reset reports whether
// the table was reset; where the database offers no such snapshot, it
// verifies alone and reset is false.
func VerifyAndReset(ctx context.Context, db *gorm.DB, cfg Config) (v Verification, reset bool, err error) {
	if f, _ := database.FactsOf(database.KindOf(db)); !f.UpdatesInPlace {
		v, err = Verify(ctx, db, cfg)
		return v, false, err
	}
	done := make(chan error, 1)
	started := false
	v, err = verify(ctx, db, cfg, func() {
		started = true
		go func() { done <- resetScores(ctx, db) }()
	})
	if !started {
		return v, false, err
	}
	// A reset that fails is the next run's to do again (with Reset, which
	// reports it); the verification stands.
	if rerr := <-done; rerr != nil || err != nil {
		return v, false, err
	}
	if checkpoint(ctx, db) != nil {
		return v, false, nil
	}
	return v, true, nil
}

// Verification is the outcome of Verify.
type Verification struct {
	// Rows is the number of rows checked.
	Rows int64
	// Wrong is the number of rows whose score differs from the calculation,
	// or whose document is not the one seeded.
	Wrong int64
	// AlteredData counts the wrong rows whose document was changed.
	AlteredData int64
	// FirstWrong is the key of the first wrong row, or empty.
	FirstWrong string
}

// Verify streams the whole table, recomputes every row's score in Go, and
// checks that every document is still the one cfg seeded (compared as
// decoded documents: PostgreSQL's jsonb does not keep the text as given).
// One goroutine reads the rows in chunks while one per CPU checks them:
// the check (generating the document again, decoding it) costs more than
// the read, and it is the time between two runs.
func Verify(ctx context.Context, db *gorm.DB, cfg Config) (Verification, error) {
	return verify(ctx, db, cfg, nil)
}

// verify is Verify calling snapshot, if not nil, once its read holds its
// snapshot of the table: after the first row (not when the table is empty).
func verify(ctx context.Context, db *gorm.DB, cfg Config, snapshot func()) (Verification, error) {
	rows, err := db.WithContext(ctx).Raw("SELECT id, data, score FROM " + items.Table + " ORDER BY id").Rows()
	if err != nil {
		return Verification{}, fmt.Errorf("verify: %w", err)
	}
	defer rows.Close()
	checkers := runtime.GOMAXPROCS(0)
	chunks := make(chan []stored, 2*checkers)
	parts := make(chan verified, checkers)
	var wg sync.WaitGroup
	for range checkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p verified
			for c := range chunks {
				if p.err == nil {
					p.check(cfg, c)
				}
			}
			parts <- p
		}()
	}
	readErr := readChunks(rows, chunks, snapshot)
	rows.Close()
	close(chunks)
	wg.Wait()
	close(parts)
	var (
		v     Verification
		first int64 = -1
		errID int64
	)
	for p := range parts {
		if p.err != nil && (err == nil || p.errID < errID) {
			err, errID = p.err, p.errID
		}
		v.Rows += p.rows
		v.Wrong += p.wrong
		v.AlteredData += p.altered
		if p.wrong > 0 && (first < 0 || p.first < first) {
			first = p.first
		}
	}
	if readErr != nil {
		return v, fmt.Errorf("verify: %w", readErr)
	}
	if err != nil {
		return v, err
	}
	if first >= 0 {
		v.FirstWrong = fmt.Sprint(first)
	}
	return v, nil
}

// stored is one row as read for verification.
type stored struct {
	id, score int64
	data      string
}

// readChunks reads rows into chunks of up to verifyChunk rows, calling
// first, if not nil, after the first row.
func readChunks(rows *sql.Rows, out chan<- []stored, first func()) error {
	const verifyChunk = 256
	var (
		c    []stored
		r    stored
		data sql.RawBytes
	)
	for rows.Next() {
		if err := rows.Scan(&r.id, &data, &r.score); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		r.data = string(data)
		if first != nil {
			first()
			first = nil
		}
		if c = append(c, r); len(c) == verifyChunk {
			out <- c
			c = make([]stored, 0, verifyChunk)
		}
	}
	if len(c) > 0 {
		out <- c
	}
	return rows.Err()
}

// verified is what one checker found.
type verified struct {
	rows, wrong, altered int64
	first                int64 // the smallest wrong id, if wrong > 0
	err                  error
	errID                int64
}

// check checks the rows of c.
func (p *verified) check(cfg Config, c []stored) {
	for _, r := range c {
		want, err := items.Score(r.data)
		if err != nil {
			p.err, p.errID = fmt.Errorf("verify: row %d: %w", r.id, err), r.id
			return
		}
		p.rows++
		altered := !sameDocument(r.data, items.Generate(cfg.Seed, r.id, cfg.SizeOf(r.id)).Data)
		if altered {
			p.altered++
		}
		if r.score != want || altered {
			if p.wrong == 0 || r.id < p.first {
				p.first = r.id
			}
			p.wrong++
		}
	}
}

// Count returns the number of rows in the table.
func Count(ctx context.Context, db *gorm.DB) (int64, error) {
	var n int64
	if err := db.WithContext(ctx).Model(&items.Item{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count rows: %w", err)
	}
	return n, nil
}

// Written returns the number of rows whose score has been written: a
// strategy writes every score at least 1, and Reset sets them to 0.
func Written(ctx context.Context, db *gorm.DB) (int64, error) {
	var n int64
	if err := db.WithContext(ctx).Model(&items.Item{}).Where("score <> 0").Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count written rows: %w", err)
	}
	return n, nil
}

// sameDocument reports whether two JSON documents are the same document:
// the same bytes, or the same once decoded.
func sameDocument(got, want string) bool {
	if got == want {
		return true
	}
	var a, b items.Doc
	if gojson.Unmarshal([]byte(got), &a) != nil || gojson.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}
