// Package source measures a job on a copy of its table: the source (a
// user's table, or one iterbench seeded through the user's own function)
// is only ever read. Before every run the copy, iterbench_copy_<job>, is
// made afresh with the source's columns, key and indexes and filled with
// its rows in key order; after the run every row of the copy is checked
// against the job's calculation over the source row, both streamed in key
// order, so that verifying a table of any size holds one row of each.
package source

import (
	"context"
	"database/sql/driver"
	"fmt"
	"iter"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
	"github.com/iterbench/iterbench/internal/probe"
	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/strategies"
)

// CopyPrefix begins the name of every copy table.
const CopyPrefix = "iterbench_copy_"

// Table is a job's table measured on a copy.
type Table struct {
	// Job is the job over the source table.
	Job *job.Job
	// Rows, if not zero, copies only the first Rows rows in key order.
	Rows int
	// copied is the number of rows the last Reset copied.
	copied int64
}

// New returns the copy of j's table, of its first rows rows (0: all).
func New(j *job.Job, rows int) *Table { return &Table{Job: j, Rows: rows} }

// Name is the copy's name, the table the strategies write.
func (t *Table) Name() string { return CopyPrefix + t.Job.Name }

// Copied is the number of rows the last Reset copied.
func (t *Table) Copied() int64 { return t.copied }

// CheckKey refuses a key that allows NULL or is not unique, in one line
// naming the column, and a source that is missing a column the job names.
func CheckKey(ctx context.Context, db *gorm.DB, j *job.Job) error {
	cols, err := database.Columns(ctx, db, j.Table)
	if err != nil {
		return err
	}
	for _, c := range slices.Concat(j.Key, j.Read, j.Write) {
		if _, ok := cols[c]; !ok {
			return fmt.Errorf("job %s: table %s has no column %s", j.Name, j.Table, c)
		}
	}
	for _, k := range j.Key {
		if cols[k].Nullable {
			hint := ""
			if f, _ := database.FactsOf(database.KindOf(db)); f.NullablePrimaryKey && cols[k].PrimaryKey {
				hint = " (SQLite lets a PRIMARY KEY column hold NULL unless it is the table's only key column and INTEGER: declare it NOT NULL, gorm:\"not null\")"
			}
			return fmt.Errorf("job %s: key column %s of %s allows NULL; a key must be NOT NULL%s", j.Name, k, j.Table, hint)
		}
	}
	keys := j.KeyColumns(db)
	rs, err := db.WithContext(ctx).Raw("SELECT " + keys + " FROM " + database.Quote(database.KindOf(db), j.Table) + " GROUP BY " + keys + " HAVING COUNT(*) > 1 LIMIT 1").Rows()
	if err != nil {
		return fmt.Errorf("job %s: check that the key is unique: %w", j.Name, err)
	}
	defer rs.Close()
	if rs.Next() {
		k, err := job.ScanKey(j, rs)
		if err != nil {
			return fmt.Errorf("job %s: check that the key is unique: %w", j.Name, err)
		}
		return fmt.Errorf("job %s: key (%s) of %s is not unique: %v appears more than once", j.Name, strings.Join(j.Key, ", "), j.Table, k)
	}
	return rs.Err()
}

// Reset drops the copy if it is there and makes it again from the source,
// with no progress recorded.
func (t *Table) Reset(ctx context.Context, db *gorm.DB) error {
	if err := t.Drop(ctx, db); err != nil {
		return err
	}
	name := t.Name()
	if err := seed.MarkOwned(ctx, db, name); err != nil {
		return err
	}
	if err := database.CreateLike(ctx, db, t.Job.Table, name); err != nil {
		return err
	}
	cols, err := database.Insertable(ctx, db, t.Job.Table)
	if err != nil {
		return err
	}
	q := database.InsertCopy(database.KindOf(db), t.Job.Table, name, cols, t.Job.KeyOrder(db), t.Rows)
	res := db.WithContext(ctx).Exec(q)
	if res.Error != nil {
		return fmt.Errorf("fill %s from %s: %w", name, t.Job.Table, res.Error)
	}
	t.copied = res.RowsAffected
	if err := seed.ClearProgress(ctx, db, name); err != nil {
		return err
	}
	return seed.AnalyzeTable(ctx, db, name)
}

// Drop drops the copy, if iterbench made it; a table of its name that
// iterbench did not make is left alone and reported.
func (t *Table) Drop(ctx context.Context, db *gorm.DB) error {
	name := t.Name()
	ours, err := seed.Owned(ctx, db, name)
	if err != nil {
		return err
	}
	if !ours {
		return fmt.Errorf("table %s exists but iterbench did not create it, so it was left untouched", name)
	}
	if err := db.WithContext(ctx).Exec("DROP TABLE IF EXISTS " + database.Quote(database.KindOf(db), name)).Error; err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	return seed.Disown(ctx, db, name)
}

// Remove drops the copy, its progress records, and iterbench's bookkeeping
// tables if nothing else is recorded in them: what a measurement leaves on
// a user's server is nothing.
func (t *Table) Remove(ctx context.Context, db *gorm.DB) error {
	if err := t.Drop(ctx, db); err != nil {
		return err
	}
	if err := seed.ClearProgress(ctx, db, t.Name()); err != nil {
		return err
	}
	if err := seed.DropIfEmpty(ctx, db, strategies.ProgressTable); err != nil {
		return err
	}
	return seed.DropIfEmpty(ctx, db, seed.OwnerTable)
}

// Verify checks every row of the copy: its written columns must hold the
// job's calculation over the source row (for rows in the job's scope; the
// others must be unchanged), and every other column it reads must be the
// source's. The copy and the source are streamed side by side in key
// order.
func (t *Table) Verify(ctx context.Context, db *gorm.DB) (seed.Verification, error) {
	var v seed.Verification
	j := t.Job
	cols := slices.Concat(j.Read, j.Write)
	all := *j
	all.Scope = nil
	lim := func(q *gorm.DB) *gorm.DB {
		q = q.Order(j.KeyOrder(db))
		if t.Rows > 0 {
			q = q.Limit(t.Rows)
		}
		return q
	}
	sel := strings.Join(database.QuoteAll(database.KindOf(db), cols), ", ")
	src := pull(j.Rows, lim(all.Query(ctx, db).Select(sel)))
	defer src.stop()
	cp := pull(j.Rows, lim(all.WithTable(t.Name()).Query(ctx, db).Select(sel)))
	defer cp.stop()
	var inScope *puller
	if j.Scope != nil {
		inScope = pull(j.Rows, lim(j.Query(ctx, db).Select(sel)))
		defer inScope.stop()
	}
	wrong := func(key []any, altered bool) {
		v.Wrong++
		if altered {
			v.AlteredData++
		}
		if v.FirstWrong == "" {
			v.FirstWrong = formatKey(key)
		}
	}
	readOnly := slices.DeleteFunc(slices.Clone(j.Read), func(c string) bool { return slices.Contains(j.Write, c) })
	for {
		s, sok, err := src.next()
		if err != nil {
			return v, fmt.Errorf("verify: read %s: %w", j.Table, err)
		}
		c, cok, err := cp.next()
		if err != nil {
			return v, fmt.Errorf("verify: read %s: %w", t.Name(), err)
		}
		if !sok || !cok {
			if sok || cok {
				return v, fmt.Errorf("verify: %s and %s hold different numbers of rows", j.Table, t.Name())
			}
			return v, nil
		}
		v.Rows++
		key := s.Key(0)
		if !sameValues(key, c.Key(0)) {
			return v, fmt.Errorf("verify: %s holds key %v where %s holds %v: rows were added or removed", t.Name(), c.Key(0), j.Table, key)
		}
		// The scoped stream moves past every key, whatever the row holds.
		compute := true
		if inScope != nil {
			if compute, err = inScope.peekIs(key); err != nil {
				return v, fmt.Errorf("verify: read the rows in the job's scope: %w", err)
			}
		}
		if !sameValues(s.Values(0, readOnly), c.Values(0, readOnly)) {
			wrong(key, true)
			continue
		}
		if compute {
			if err := s.Compute(0); err != nil {
				return v, fmt.Errorf("verify: row %v: %w", key, err)
			}
		}
		if !sameValues(s.Values(0, j.Write), c.Values(0, j.Write)) {
			wrong(key, false)
		}
	}
}

// ProbeSample is the number of keys the application probe draws from.
const ProbeSample = 10000

// ProbeTarget returns what the application probe works on: the copy, by
// keys sampled evenly from the whole table in one streamed pass (reservoir
// sampling, so that a table of any size holds ProbeSample keys), reading
// the job's first written column and writing it back as it is.
func (t *Table) ProbeTarget(ctx context.Context, db *gorm.DB) (*probe.Target, error) {
	j := t.Job.WithTable(t.Name())
	rs, err := db.WithContext(ctx).Table(j.Table).Select(j.KeyColumns(db)).Rows()
	if err != nil {
		return nil, fmt.Errorf("sample the keys of %s: %w", j.Table, err)
	}
	defer rs.Close()
	rnd := rand.New(rand.NewPCG(1, 2))
	var keys [][]any
	for n := 0; rs.Next(); n++ {
		k, err := job.ScanKey(j, rs)
		if err != nil {
			return nil, fmt.Errorf("sample the keys of %s: %w", j.Table, err)
		}
		if n < ProbeSample {
			keys = append(keys, k)
		} else if i := rnd.IntN(n + 1); i < ProbeSample {
			keys[i] = k
		}
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("sample the keys of %s: %w", j.Table, err)
	}
	return &probe.Target{Table: j.Table, Key: j.Key, Column: j.Write[0], Keys: keys}, nil
}

// Written counts the rows of the copy that hold their computed values: the
// rows done, after a worker was killed.
func (t *Table) Written(ctx context.Context, db *gorm.DB) (int64, error) {
	v, err := t.Verify(ctx, db)
	return v.Rows - v.Wrong, err
}

// puller reads a stream of one-row pages one at a time.
type puller struct {
	next func() (job.Page, bool, error)
	stop func()
	// headKey is the key of the row peekIs read ahead.
	headKey []any
	done    bool
}

// pull starts streaming q.
func pull(rows job.Rows, q *gorm.DB) *puller {
	seq := func(yield func(job.Page, error) bool) {
		stopped := false
		err := rows.Stream(q, func(p job.Page) error {
			if !yield(p, nil) {
				stopped = true
				return errStopped
			}
			return nil
		})
		if err != nil && !stopped {
			yield(nil, err)
		}
	}
	next, stop := iter.Pull2(iter.Seq2[job.Page, error](seq))
	p := &puller{stop: stop}
	p.next = func() (job.Page, bool, error) {
		pg, err, ok := next()
		if !ok {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		return pg, true, nil
	}
	return p
}

var errStopped = fmt.Errorf("stopped")

// peekIs reports whether the stream's next key is key, and if so moves
// past it. The stream holds a subset of the keys visited, in the same
// order: a key it holds that is not this one comes later.
func (p *puller) peekIs(key []any) (bool, error) {
	if p.done {
		return false, nil
	}
	if p.headKey == nil {
		pg, ok, err := p.next()
		if err != nil {
			return false, err
		}
		if !ok {
			p.done = true
			return false, nil
		}
		p.headKey = pg.Key(0)
	}
	if sameValues(p.headKey, key) {
		p.headKey = nil
		return true, nil
	}
	return false, nil
}

// sameValues reports whether two rows' values are equal, compared as the
// driver would send them: pointers followed, Valuers asked, times compared
// as instants, and anything else by its printed form.
func sameValues(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !same(a[i], b[i]) {
			return false
		}
	}
	return true
}

func same(a, b any) bool {
	a, b = plain(a), plain(b)
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// plain follows pointers and asks Valuers for their value.
func plain(v any) any {
	for {
		if r := reflect.ValueOf(v); v == nil || r.Kind() == reflect.Pointer && r.IsNil() {
			// Before asking a Valuer: a nil pointer to a type whose Value
			// has a value receiver would panic.
			return nil
		}
		if vl, ok := v.(driver.Valuer); ok {
			x, err := vl.Value()
			if err != nil {
				return v
			}
			v = x
			continue
		}
		r := reflect.ValueOf(v)
		if r.Kind() != reflect.Pointer {
			if b, ok := v.([]byte); ok {
				return string(b)
			}
			return v
		}
		if r.IsNil() {
			return nil
		}
		v = r.Elem().Interface()
	}
}

// formatKey writes a key as a row value, (1, "a"), or a key of one column
// as its value.
func formatKey(key []any) string {
	if len(key) == 1 {
		return fmt.Sprint(plain(key[0]))
	}
	parts := make([]string, len(key))
	for i, k := range key {
		if s, ok := plain(k).(string); ok {
			parts[i] = fmt.Sprintf("%q", s)
		} else {
			parts[i] = fmt.Sprint(plain(k))
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
