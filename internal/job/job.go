// Package job holds a backfill job with its row type erased: the table, its
// key, the columns read and written, and the calculation, in the form every
// strategy runs. The generic form a user declares is iterbench.Job[T];
// Of turns one into a Job.
package job

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/iterbench/iterbench/internal/database"
)

// Job is a backfill: for every row of Table (in Scope), read the columns
// Read, compute, and write the columns Write back, the row found by Key.
type Job struct {
	// Name names the job's progress records and its copy table.
	Name string
	// Table is the table the strategies work on.
	Table string
	// Key is a unique, NOT NULL key of one or more columns: the order rows
	// are read in and how each is found again to be written.
	Key []string
	// Read are the columns loaded; they include Key.
	Read []string
	// Write are the columns Compute sets and the strategies write back.
	Write []string
	// Scope, if set, narrows the rows to backfill.
	Scope func(*gorm.DB) *gorm.DB
	// SQL holds, per database, the SET clause computing Write in SQL; the
	// in-database strategies run only where it is given.
	SQL map[database.Kind]string
	// Rows is the job's row type.
	Rows Rows
}

// Rows is a job's row type: it reads rows into pages and new key values.
type Rows interface {
	// Find runs q into a new page.
	Find(q *gorm.DB) (Page, error)
	// Stream runs q and calls fn with each row in a one-row page, reused.
	Stream(q *gorm.DB, fn func(Page) error) error
	// NewKey returns a pointer to a new value of each key column's type,
	// for decoding a recorded key.
	NewKey() []any
	// Scan reads every row of rs, whose columns are Read in order, into a
	// new page, scanning each column straight into its field: the driver's
	// work without GORM's (the driver layer).
	Scan(rs RowScanner) (Page, error)
	// Scannable says why Scan cannot read this row type, or nil when it
	// can: a column read through a GORM serializer needs GORM.
	Scannable() error
}

// RowScanner is a result set, of database/sql (*sql.Rows) or of pgx
// (pgx.Rows).
type RowScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// Page is a slice of rows of a job's type.
type Page interface {
	// Len is the number of rows.
	Len() int
	// Key returns row i's key values.
	Key(i int) []any
	// Compute runs the job's calculation on row i.
	Compute(i int) error
	// Values returns row i's values of the columns cols (of Read or Write).
	Values(i int, cols []string) []any
	// Bytes is about the bytes row i's columns Read hold: their strings'
	// and byte slices' lengths, 8 for any other value.
	Bytes(i int) int64
}

// WithTable returns a copy of j that works on table; on another table than
// its own it is named after that table, so that its progress records
// (job/strategy) are never the source's job's.
func (j *Job) WithTable(table string) *Job {
	c := *j
	if table != j.Table {
		c.Name, c.Table = table, table
	}
	return &c
}

// Query returns a query over j's table and scope, reading the columns Read.
func (j *Job) Query(ctx context.Context, db *gorm.DB) *gorm.DB {
	q := db.WithContext(ctx).Table(j.Table).Select(strings.Join(database.QuoteAll(database.KindOf(db), j.Read), ", "))
	if j.Scope != nil {
		q = q.Scopes(j.Scope)
	}
	return q
}

// KeyOrder is the ORDER BY of j's key on db's database.
func (j *Job) KeyOrder(db *gorm.DB) string {
	return strings.Join(database.QuoteAll(database.KindOf(db), j.Key), ", ")
}

// KeyColumns is j's key columns, quoted for db's database, joined by
// commas: what a SELECT of the key lists.
func (j *Job) KeyColumns(db *gorm.DB) string { return j.KeyOrder(db) }

// Def is the generic form of a job, over rows of type T (a GORM model):
// what iterbench.Job[T] is.
type Def[T any] struct {
	// Name names the job's progress records and its copy table
	// (iterbench_copy_<Name>); required.
	Name string
	// Table is the table to backfill; default: T's GORM table name.
	Table string
	// Key is a unique, NOT NULL key of one or more columns (integer, UUID,
	// text); default: T's primary key.
	Key []string
	// Read are the columns loaded into T; the key is added if missing.
	// Default: all of T's columns.
	Read []string
	// Write are the columns Compute sets and the strategies write back;
	// required, and none of them in Key.
	Write []string
	// Scope, if set, narrows the rows to backfill.
	Scope func(*gorm.DB) *gorm.DB
	// Compute sets the columns Write of a row read with the columns Read;
	// it must be deterministic, so that every row can be verified.
	Compute func(*T) error
	// SQL holds, per database ("sqlite", "postgres", "mariadb"), the SET
	// clause computing Write in SQL ("total = …, count = …"); the
	// in-database strategies run only where it is given.
	SQL map[string]string
}

// Of turns the generic form of a job into a Job, filling the defaults
// (Table: T's GORM table name; Key: T's primary key; Read: every column of
// T) and checking that every column named is a field of T.
func Of[T any](d Def[T]) (*Job, error) {
	if d.Name == "" {
		return nil, fmt.Errorf("job: Name is empty")
	}
	if !validName.MatchString(d.Name) {
		return nil, fmt.Errorf("job %q: a Name is 1 to %d lower-case letters, digits and underscores (it names the table iterbench_copy_<Name>)", d.Name, maxName)
	}
	if d.Compute == nil {
		return nil, fmt.Errorf("job %s: Compute is nil", d.Name)
	}
	if len(d.Write) == 0 {
		return nil, fmt.Errorf("job %s: Write names no column", d.Name)
	}
	var zero T
	s, err := schema.Parse(&zero, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", d.Name, err)
	}
	j := &Job{Name: d.Name, Table: d.Table, Key: slices.Clone(d.Key), Read: slices.Clone(d.Read), Write: slices.Clone(d.Write), Scope: d.Scope}
	if j.Table == "" {
		j.Table = s.Table
	}
	if len(j.Key) == 0 {
		j.Key = slices.Clone(s.PrimaryFieldDBNames)
	}
	if len(j.Key) == 0 {
		return nil, fmt.Errorf("job %s: no Key, and %T has no primary key", d.Name, zero)
	}
	if len(j.Read) == 0 {
		j.Read = slices.Clone(s.DBNames)
	}
	for _, k := range j.Key {
		if !slices.Contains(j.Read, k) {
			j.Read = append([]string{k}, j.Read...)
		}
	}
	fields := map[string]*schema.Field{}
	for _, c := range slices.Concat(j.Key, j.Read, j.Write) {
		f := s.LookUpField(c)
		if f == nil || f.DBName == "" {
			return nil, fmt.Errorf("job %s: %T has no column %q", d.Name, zero, c)
		}
		fields[c] = f
	}
	for _, w := range j.Write {
		if slices.Contains(j.Key, w) {
			return nil, fmt.Errorf("job %s: column %s is in both Key and Write", d.Name, w)
		}
	}
	if len(d.SQL) > 0 {
		j.SQL = map[database.Kind]string{}
		for k, set := range d.SQL {
			kind, err := database.ParseKind(k)
			if err != nil {
				return nil, fmt.Errorf("job %s: SQL: %w", d.Name, err)
			}
			j.SQL[kind] = set
		}
	}
	r := &rows[T]{compute: d.Compute, fields: fields, key: j.Key, gormOnly: gormOnly(s)}
	for _, c := range j.Read {
		r.read = append(r.read, fields[c])
	}
	j.Rows = r
	return j, nil
}

// maxName is the longest job name: iterbench_copy_<Name> must fit
// PostgreSQL's 63 bytes and MariaDB's 64 characters.
const maxName = 63 - len("iterbench_copy_")

// validName is what a job's name may be: it names a table, unquoted the
// same on every database.
var validName = regexp.MustCompile(fmt.Sprintf(`^[a-z0-9_]{1,%d}$`, maxName))

// rows is the Rows of type T.
type rows[T any] struct {
	compute func(*T) error
	fields  map[string]*schema.Field
	key     []string
	read    []*schema.Field // the columns Read, for Bytes
	// gormOnly says what GORM adds to a read of T that a plain scan
	// would not: a soft-delete clause, an AfterFind hook; "" if nothing.
	gormOnly string
}

// gormOnly says what GORM adds to a read of the model s that a plain
// scan would not, or "".
func gormOnly(s *schema.Schema) string {
	switch {
	case len(s.QueryClauses) > 0:
		return "its model adds clauses to every query (soft delete: gorm.DeletedAt)"
	case s.AfterFind:
		return "its model has an AfterFind hook"
	}
	return ""
}

// Find implements Rows.
func (r *rows[T]) Find(q *gorm.DB) (Page, error) {
	p := &page[T]{r: r}
	if err := q.Find(&p.rows).Error; err != nil {
		return nil, err
	}
	return p, nil
}

// Stream implements Rows.
func (r *rows[T]) Stream(q *gorm.DB, fn func(Page) error) error {
	rs, err := q.Rows()
	if err != nil {
		return err
	}
	defer rs.Close()
	p := &page[T]{r: r, rows: make([]T, 1)}
	for rs.Next() {
		var zero T
		p.rows[0] = zero
		if err := q.ScanRows(rs, &p.rows[0]); err != nil {
			return fmt.Errorf("scan row: %w", err)
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return rs.Err()
}

// Scan implements Rows.
func (r *rows[T]) Scan(rs RowScanner) (Page, error) {
	p := &page[T]{r: r}
	dest := make([]any, len(r.read))
	for rs.Next() {
		var zero T
		p.rows = append(p.rows, zero)
		v := reflect.ValueOf(&p.rows[len(p.rows)-1]).Elem()
		for i, f := range r.read {
			dest[i] = v.FieldByIndex(f.StructField.Index).Addr().Interface()
		}
		if err := rs.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan row: %w", err)
		}
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// Scannable implements Rows.
func (r *rows[T]) Scannable() error {
	if r.gormOnly != "" {
		return errors.New(r.gormOnly)
	}
	for _, f := range r.read {
		if f.Serializer != nil {
			return fmt.Errorf("column %s is read through a GORM serializer", f.DBName)
		}
		t := reflect.TypeFor[T]()
		for _, i := range f.StructField.Index[:len(f.StructField.Index)-1] {
			if t = t.Field(i).Type; t.Kind() != reflect.Struct {
				return fmt.Errorf("column %s is a field of an embedded pointer", f.DBName)
			}
		}
	}
	return nil
}

// NewKey implements Rows.
func (r *rows[T]) NewKey() []any {
	out := make([]any, len(r.key))
	for i, k := range r.key {
		out[i] = reflect.New(r.fields[k].FieldType).Interface()
	}
	return out
}

// Bytes implements Page.
func (p *page[T]) Bytes(i int) int64 {
	v := reflect.ValueOf(&p.rows[i]).Elem()
	var n int64
	for _, f := range p.r.read {
		x := f.ReflectValueOf(context.Background(), v)
		for x.Kind() == reflect.Pointer && !x.IsNil() {
			x = x.Elem()
		}
		switch x.Kind() {
		case reflect.String:
			n += int64(x.Len())
		case reflect.Slice:
			if x.Type().Elem().Kind() == reflect.Uint8 {
				n += int64(x.Len())
				continue
			}
			n += 8
		default:
			n += 8
		}
	}
	return n
}

// page is a Page of T.
type page[T any] struct {
	r    *rows[T]
	rows []T
}

// Len implements Page.
func (p *page[T]) Len() int { return len(p.rows) }

// Key implements Page.
func (p *page[T]) Key(i int) []any { return p.Values(i, p.r.key) }

// Compute implements Page.
func (p *page[T]) Compute(i int) error { return p.r.compute(&p.rows[i]) }

// Values implements Page.
func (p *page[T]) Values(i int, cols []string) []any {
	v := reflect.ValueOf(&p.rows[i]).Elem()
	out := make([]any, len(cols))
	ctx := context.Background()
	for c, col := range cols {
		out[c], _ = p.r.fields[col].ValueOf(ctx, v)
	}
	return out
}

// ScanKey scans one row of rows holding only a key's columns into new
// values of the key's types.
func ScanKey(j *Job, rs *sql.Rows) ([]any, error) {
	ptrs := j.Rows.NewKey()
	if err := rs.Scan(ptrs...); err != nil {
		return nil, err
	}
	return Deref(ptrs), nil
}

// Deref returns the values ptrs point to.
func Deref(ptrs []any) []any {
	out := make([]any, len(ptrs))
	for i, p := range ptrs {
		out[i] = reflect.ValueOf(p).Elem().Interface()
	}
	return out
}

// Set is the jobs a binary knows, by name.
type Set []*Job

// Lookup returns the job called name; an empty name is the first job.
func (s Set) Lookup(name string) (*Job, error) {
	if len(s) == 0 {
		return nil, fmt.Errorf("no job is known")
	}
	if name == "" {
		return s[0], nil
	}
	for _, j := range s {
		if j.Name == name {
			return j, nil
		}
	}
	names := make([]string, len(s))
	for i, j := range s {
		names[i] = j.Name
	}
	return nil, fmt.Errorf("unknown job %q (known: %s)", name, strings.Join(names, ", "))
}
