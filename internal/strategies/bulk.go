package strategies

import (
	"context"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
)

// BulkForm names a form of statement that writes many rows at once.
type BulkForm string

// The bulk-update forms. Not every database offers every form.
const (
	// BulkValues joins the table to a list of (key…, value…) rows: UPDATE
	// ... FROM (VALUES ...) on SQLite and PostgreSQL, UPDATE ... JOIN
	// (SELECT ... UNION ALL ...) on MariaDB.
	BulkValues BulkForm = "values"
	// BulkCase sets each written column to CASE WHEN key = ... THEN ... END
	// WHERE key IN (...).
	BulkCase BulkForm = "case"
	// BulkUpsert inserts the rows with a conflict clause that updates the
	// written columns: ON CONFLICT DO UPDATE, or ON DUPLICATE KEY UPDATE on
	// MariaDB. The insert is never taken, but its row must be valid: other
	// NOT NULL columns without a default get a filler (database.Column.Filler)
	// or, where no filler fits, the row's own value when it was read.
	BulkUpsert BulkForm = "upsert"
	// BulkUnnest (PostgreSQL only) joins the table to unnest() of one array
	// parameter per column: as many parameters whatever the batch size.
	BulkUnnest BulkForm = "unnest"
)

// BulkForms returns the forms a kind of database offers (its
// database.Facts), in this package's order.
func BulkForms(kind database.Kind) []BulkForm {
	f, _ := database.FactsOf(kind)
	var out []BulkForm
	for _, form := range []BulkForm{BulkValues, BulkCase, BulkUpsert, BulkUnnest} {
		if slices.Contains(f.BulkForms, string(form)) {
			out = append(out, form)
		}
	}
	return out
}

// DefaultBulkForm returns the form used when none is configured: the fastest
// one measured for the database by BenchmarkBulkForms (20,000 rows of 1 KiB
// in batches of 1000; medians of 5 counts, docs/strategies.md "Bulk-update forms"),
// the first of its database.Facts.BulkForms: SQLite values, PostgreSQL
// unnest, MariaDB upsert.
func DefaultBulkForm(kind database.Kind) BulkForm {
	f, err := database.FactsOf(kind)
	if err != nil || len(f.BulkForms) == 0 {
		return BulkValues
	}
	return BulkForm(f.BulkForms[0])
}

// ResolveBulkForm returns form, or the database's default when form is
// empty, and fails when the database does not offer it.
func ResolveBulkForm(kind database.Kind, form BulkForm) (BulkForm, error) {
	if form == "" {
		return DefaultBulkForm(kind), nil
	}
	for _, f := range BulkForms(kind) {
		if f == form {
			return form, nil
		}
	}
	return "", fmt.Errorf("bulk form %q is not available on %s", form, kind)
}

// Batch is the rows one bulk statement writes: for each row, its key, its
// written values and, for the upsert form's fillers, the values of the
// columns Bulk.Extra names.
type Batch struct {
	Keys   [][]any
	Values [][]any
	Extra  [][]any
}

// Len is the number of rows.
func (b *Batch) Len() int { return len(b.Keys) }

// Add queues row i of p.
func (b *Batch) Add(bu *Bulk, p job.Page, i int) {
	b.Keys = append(b.Keys, p.Key(i))
	b.Values = append(b.Values, p.Values(i, bu.job.Write))
	if len(bu.extra) > 0 {
		b.Extra = append(b.Extra, p.Values(i, bu.extra))
	}
}

// Reset empties b, keeping its storage.
func (b *Batch) Reset() { b.Keys, b.Values, b.Extra = b.Keys[:0], b.Values[:0], b.Extra[:0] }

// Bulk writes batches of a job's rows with one statement of a form.
type Bulk struct {
	kind  database.Kind
	form  BulkForm
	job   *job.Job
	cols  map[string]database.Column
	extra []string          // read columns an upsert inserts as they are
	fill  map[string]string // other NOT NULL columns an upsert fills
}

// NewBulk prepares bulk statements of form (empty: the database's default)
// for j's table, reading its columns' types once.
func NewBulk(ctx context.Context, db *gorm.DB, j *job.Job, form BulkForm) (*Bulk, error) {
	kind := database.KindOf(db)
	form, err := ResolveBulkForm(kind, form)
	if err != nil {
		return nil, err
	}
	cols, err := database.Columns(ctx, db, j.Table)
	if err != nil {
		return nil, err
	}
	b := &Bulk{kind: kind, form: form, job: j, cols: cols, fill: map[string]string{}}
	for _, c := range slices.Concat(j.Key, j.Write) {
		if _, ok := cols[c]; !ok {
			return nil, fmt.Errorf("table %s has no column %s", j.Table, c)
		}
	}
	if form == BulkUpsert {
		names := make([]string, 0, len(cols))
		for n := range cols {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			c := cols[n]
			if c.Nullable || c.HasDefault || c.Generated || slices.Contains(j.Key, n) || slices.Contains(j.Write, n) {
				continue
			}
			if lit, ok := c.Filler(); ok {
				b.fill[n] = lit
			} else if slices.Contains(j.Read, n) {
				b.extra = append(b.extra, n)
			} else {
				return nil, fmt.Errorf("bulk form upsert: column %s (%s) is NOT NULL without a default and not read; read it, or choose another bulk form (Options.BulkForm, --bulk-form)", n, c.Type)
			}
		}
	}
	return b, nil
}

// Form is the statement form b writes with.
func (b *Bulk) Form() BulkForm { return b.form }

// Write writes the rows of batch in one statement on db.
func (b *Bulk) Write(ctx context.Context, db *gorm.DB, batch *Batch) error {
	if batch.Len() == 0 {
		return nil
	}
	query, args, err := b.statement(batch)
	if err != nil {
		return err
	}
	if err := db.WithContext(ctx).Exec(query, args...).Error; err != nil {
		return fmt.Errorf("bulk update (%s) of keys %v..%v: %w", b.form, batch.Keys[0], batch.Keys[batch.Len()-1], err)
	}
	return nil
}

// cast returns PostgreSQL's cast of column c, or "" elsewhere.
func (b *Bulk) cast(c string) string {
	if b.kind != database.Postgres {
		return ""
	}
	return "::" + b.cols[c].Type
}

// statement builds the SQL text and arguments for one bulk update.
func (b *Bulk) statement(batch *Batch) (string, []any, error) {
	j, n := b.job, batch.Len()
	keys, write := j.Key, j.Write
	both := slices.Concat(keys, write)
	// Names as the SQL text writes them: quoted, so that a column named
	// like a keyword works.
	q := func(name string) string { return database.Quote(b.kind, name) }
	qs := func(names []string) string { return strings.Join(database.QuoteAll(b.kind, names), ", ") }
	t := q(j.Table)
	var s strings.Builder
	args := make([]any, 0, n*len(both))
	// tuples writes, for each row, its key and written values as
	// (?, ?, …), the first row's with first and a cast per column.
	tuples := func(sep string, first func(col string) string) {
		for i := range n {
			if i > 0 {
				s.WriteString(sep)
			}
			s.WriteByte('(')
			for c, col := range both {
				if c > 0 {
					s.WriteByte(',')
				}
				if i == 0 {
					s.WriteString(first(col))
				} else {
					s.WriteByte('?')
				}
			}
			s.WriteByte(')')
			args = append(append(args, batch.Keys[i]...), batch.Values[i]...)
		}
	}
	on := func(left, right string) string {
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = left + q(k) + " = " + right + q(k)
		}
		return strings.Join(parts, " AND ")
	}
	pg := b.kind == database.Postgres
	switch {
	case b.form == BulkValues && b.kind == database.SQLite:
		s.WriteString("UPDATE " + t + " SET ")
		for c, w := range write {
			if c > 0 {
				s.WriteString(", ")
			}
			fmt.Fprintf(&s, "%s = v.column%d", q(w), len(keys)+c+1)
		}
		s.WriteString(" FROM (VALUES ")
		tuples(",", func(string) string { return "?" })
		s.WriteString(") AS v WHERE ")
		for i, k := range keys {
			if i > 0 {
				s.WriteString(" AND ")
			}
			fmt.Fprintf(&s, "%s.%s = v.column%d", t, q(k), i+1)
		}
	case b.form == BulkValues && pg:
		s.WriteString("UPDATE " + t + " AS t SET " + assign(b.kind, write, "", "v.") + " FROM (VALUES ")
		tuples(",", func(col string) string { return "?" + b.cast(col) })
		s.WriteString(") AS v(" + qs(both) + ") WHERE " + on("t.", "v."))
	case b.form == BulkValues && b.kind == database.MariaDB:
		s.WriteString("UPDATE " + t + " AS t JOIN (")
		for i := range n {
			if i == 0 {
				s.WriteString("SELECT ")
				for c, col := range both {
					if c > 0 {
						s.WriteString(", ")
					}
					s.WriteString("? AS " + q(col))
				}
			} else {
				s.WriteString(" UNION ALL SELECT " + strings.TrimSuffix(strings.Repeat("?,", len(both)), ","))
			}
			args = append(append(args, batch.Keys[i]...), batch.Values[i]...)
		}
		s.WriteString(") AS v ON " + on("t.", "v.") + " SET " + assign(b.kind, write, "t.", "v."))
	case b.form == BulkCase:
		s.WriteString("UPDATE " + t + " SET ")
		for c, w := range write {
			if c > 0 {
				s.WriteString(", ")
			}
			s.WriteString(q(w) + " = CASE")
			if len(keys) == 1 {
				s.WriteString(" " + q(keys[0]))
			}
			for i := range n {
				if len(keys) == 1 {
					s.WriteString(" WHEN ? THEN ?" + b.cast(w))
				} else {
					s.WriteString(" WHEN " + database.KeyEqual(database.QuoteAll(b.kind, keys), "") + " THEN ?" + b.cast(w))
				}
				args = append(append(args, batch.Keys[i]...), batch.Values[i][c])
			}
			s.WriteString(" END")
		}
		if len(keys) == 1 {
			s.WriteString(" WHERE " + q(keys[0]) + " IN (")
		} else {
			s.WriteString(" WHERE (" + qs(keys) + ") IN (")
		}
		for i := range n {
			if i > 0 {
				s.WriteByte(',')
			}
			if len(keys) == 1 {
				s.WriteByte('?')
			} else {
				s.WriteString("(" + strings.TrimSuffix(strings.Repeat("?,", len(keys)), ",") + ")")
			}
			args = append(args, batch.Keys[i]...)
		}
		s.WriteByte(')')
	case b.form == BulkUpsert:
		fills := make([]string, 0, len(b.fill))
		for c := range b.fill {
			fills = append(fills, c)
		}
		slices.Sort(fills)
		s.WriteString("INSERT INTO " + t + " (" + qs(slices.Concat(both, b.extra, fills)) + ") VALUES ")
		for i := range n {
			if i > 0 {
				s.WriteByte(',')
			}
			s.WriteByte('(')
			for c, col := range slices.Concat(both, b.extra) {
				if c > 0 {
					s.WriteByte(',')
				}
				s.WriteString("?")
				if i == 0 {
					s.WriteString(b.cast(col))
				}
			}
			for _, c := range fills {
				s.WriteString("," + b.fill[c])
			}
			s.WriteByte(')')
			args = append(append(args, batch.Keys[i]...), batch.Values[i]...)
			if len(b.extra) > 0 {
				args = append(args, batch.Extra[i]...)
			}
		}
		f, _ := database.FactsOf(b.kind)
		s.WriteString(f.Upsert(keys, write))
	case b.form == BulkUnnest && pg:
		s.WriteString("UPDATE " + t + " AS t SET " + assign(b.kind, write, "", "v.") + " FROM unnest(")
		for c, col := range both {
			if c > 0 {
				s.WriteString(", ")
			}
			s.WriteString("?" + b.cast(col) + "[]")
			arr := make(pgArray, n)
			for i := range n {
				if c < len(keys) {
					arr[i] = batch.Keys[i][c]
				} else {
					arr[i] = batch.Values[i][c-len(keys)]
				}
			}
			args = append(args, arr)
		}
		s.WriteString(") AS v(" + qs(both) + ") WHERE " + on("t.", "v."))
	default:
		return "", nil, fmt.Errorf("bulk form %q is not available on %s", b.form, b.kind)
	}
	return s.String(), args, nil
}

// assign returns "a = fromA, b = fromB" for columns cols (quoted for
// kind), the left side prefixed with to, the right with from.
func assign(kind database.Kind, cols []string, to, from string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		c = database.Quote(kind, c)
		parts[i] = to + c + " = " + from + c
	}
	return strings.Join(parts, ", ")
}

// pgArray is passed to PostgreSQL as one array parameter in its text form;
// as a driver.Valuer it is not expanded into a list by GORM.
type pgArray []any

// Value implements driver.Valuer.
func (a pgArray) Value() (driver.Value, error) {
	b := make([]byte, 0, 8*len(a)+2)
	b = append(b, '{')
	for i, v := range a {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendElem(b, v); err != nil {
			return nil, err
		}
	}
	return string(append(b, '}')), nil
}

// appendElem appends v as an element of an array's text form.
func appendElem(b []byte, v any) ([]byte, error) {
	if r := reflect.ValueOf(v); v == nil || r.Kind() == reflect.Pointer && r.IsNil() {
		// Checked before asking a Valuer: a nil pointer to a type whose
		// Value has a value receiver would panic.
		return append(b, "NULL"...), nil
	}
	if vl, ok := v.(driver.Valuer); ok {
		x, err := vl.Value()
		if err != nil {
			return nil, err
		}
		if x == nil {
			return append(b, "NULL"...), nil
		}
		v = x
	}
	switch x := v.(type) {
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case time.Time:
		return quoteElem(b, x.Format(time.RFC3339Nano)), nil
	case string:
		return quoteElem(b, x), nil
	case []byte:
		// bytea's hex form, which no byte can break.
		return quoteElem(b, `\x`+hex.EncodeToString(x)), nil
	}
	switch r := reflect.ValueOf(v); r.Kind() {
	case reflect.Pointer:
		return appendElem(b, r.Elem().Interface())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, r.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(b, r.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return strconv.AppendFloat(b, r.Float(), 'g', -1, 64), nil
	case reflect.Bool:
		return strconv.AppendBool(b, r.Bool()), nil
	case reflect.String:
		return quoteElem(b, r.String()), nil
	}
	// A struct or array that prints itself (a UUID type).
	if s, ok := v.(fmt.Stringer); ok {
		return quoteElem(b, s.String()), nil
	}
	return nil, fmt.Errorf("unnest: no array text form for a %T", v)
}

// quoteElem appends s double-quoted, with quotes and backslashes escaped.
func quoteElem(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}
