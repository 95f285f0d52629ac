package strategies

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
)

// Layer is the code a strategy's reads and writes go through.
type Layer string

// The layers.
const (
	// LayerGORM is GORM, as an application that uses it would: the
	// default.
	LayerGORM Layer = "gorm"
	// LayerDriver is the driver without GORM: pgx's own interface on
	// PostgreSQL, database/sql on SQLite and MariaDB. The SQL is the same;
	// rows are scanned straight into the row type's fields (job.Rows.Scan).
	LayerDriver Layer = "driver"
)

// DriverSuffix ends the name of a strategy's driver form.
const DriverSuffix = "@driver"

// Driver is a strategy's driver form: the same loop, the same SQL and the
// same progress records, with every read and write on the driver directly
// (LayerDriver). Set beside its GORM form, it measures what GORM costs.
type Driver struct {
	// Of is the strategy in its GORM form.
	Of Resumable
}

// DriverForms are the strategies that have a driver form, in it.
func DriverForms() []Strategy {
	return []Strategy{Driver{KeysetBulk{}}, Driver{KeysetPipelined{}}}
}

// Name implements Strategy.
func (d Driver) Name() string { return d.Of.Name() + DriverSuffix }

// Description implements Strategy.
func (d Driver) Description() string {
	return d.Of.Description() + "; on the driver directly (pgx on PostgreSQL, database/sql elsewhere), without GORM"
}

// Run implements Strategy.
func (d Driver) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	return d.Loop(ctx, db, cfg, Batches{})
}

// Loop implements Resumable.
func (d Driver) Loop(ctx context.Context, db *gorm.DB, cfg Config, b Batches) (Stats, error) {
	if err := onDriver(cfg.Job); err != nil {
		return Stats{}, err
	}
	cfg.Layer = LayerDriver
	b.Name = cmp.Or(b.Name, d.Name())
	return d.Of.Loop(ctx, db, cfg, b)
}

// Remaining implements Resumable.
func (d Driver) Remaining(ctx context.Context, db *gorm.DB, cfg Config, b Batches) (int64, bool, error) {
	b.Name = cmp.Or(b.Name, d.Name())
	return d.Of.Remaining(ctx, db, cfg, b)
}

// Supports implements Supporter: the driver form reads the columns
// itself, so a job with a Scope (a GORM clause) or a column GORM must
// convert (a serializer) needs GORM.
func (d Driver) Supports(kind database.Kind, j *job.Job) bool {
	if j != nil && onDriver(j) != nil {
		return false
	}
	return Supported(d.Of, kind, j)
}

// onDriver says why j cannot run on the driver layer, or nil.
func onDriver(j *job.Job) error {
	if j.Scope != nil {
		return fmt.Errorf("driver layer: job %s has a Scope, a GORM clause", j.Name)
	}
	if err := j.Rows.Scannable(); err != nil {
		return fmt.Errorf("driver layer: %w", err)
	}
	return nil
}

// PageMethod implements Pager.
func (d Driver) PageMethod() PageMethod {
	if p, ok := d.Of.(Pager); ok {
		return p.PageMethod()
	}
	return NoPaging
}

// LayerOf implements Layered.
func (d Driver) LayerOf() (Strategy, Layer) { return d.Of, LayerDriver }

// Layered is implemented by a strategy that is another's form on another
// layer.
type Layered interface {
	// LayerOf returns the strategy in its GORM form and this one's layer.
	LayerOf() (Strategy, Layer)
}

// pageIO is how a keyset loop reads its pages and writes its batches.
type pageIO interface {
	// read reads the first size rows with after < key <= upTo (no bound
	// where nil), in key order.
	read(ctx context.Context, after, upTo []any, size int) (job.Page, error)
	// write writes batch with bulk and records last under progress, in
	// one transaction.
	write(ctx context.Context, bulk *Bulk, batch *Batch, progress string, last []any) error
}

// gormIO is pageIO through GORM.
type gormIO struct {
	db *gorm.DB
	j  *job.Job
}

func (g gormIO) read(ctx context.Context, after, upTo []any, size int) (job.Page, error) {
	return readPage(ctx, g.db, g.j, after, upTo, size)
}

func (g gormIO) write(ctx context.Context, bulk *Bulk, batch *Batch, progress string, last []any) error {
	return withProgress(ctx, g.db, progress, last, func(tx *gorm.DB) error { return bulk.Write(ctx, tx, batch) })
}

// onLayer runs fn with n pageIOs of cfg's layer on db: on the driver
// layer, each its own connection taken out of db's pool for the time of
// fn; through GORM, the pool itself.
func onLayer(ctx context.Context, db *gorm.DB, cfg Config, n int, fn func(ios []pageIO) error) error {
	ios := make([]pageIO, n)
	if cfg.Layer != LayerDriver {
		for i := range ios {
			ios[i] = gormIO{db, cfg.Job}
		}
		return fn(ios)
	}
	if err := onDriver(cfg.Job); err != nil {
		return err
	}
	pool, err := db.DB()
	if err != nil {
		return err
	}
	kind := database.KindOf(db)
	conns := make([]*sql.Conn, n)
	for i := range conns {
		if conns[i], err = pool.Conn(ctx); err != nil {
			return fmt.Errorf("driver layer: connect: %w", err)
		}
		defer conns[i].Close()
	}
	if kind != database.Postgres {
		for i, c := range conns {
			ios[i] = newDriverIO(kind, cfg.Job, sqlConn{c})
		}
		return fn(ios)
	}
	// pgx's own connection may be used only inside Raw: nest them.
	var nest func(i int) error
	nest = func(i int) error {
		if i == n {
			return fn(ios)
		}
		return conns[i].Raw(func(dc any) error {
			c, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("driver layer: a PostgreSQL connection of %T, not pgx's", dc)
			}
			ios[i] = newDriverIO(kind, cfg.Job, pgConn{c.Conn()})
			return nest(i + 1)
		})
	}
	return nest(0)
}

// driverIO is pageIO on one connection, through the driver.
type driverIO struct {
	kind     database.Kind
	j        *job.Job
	conn     driverConn
	columns  string // the columns Read, quoted
	order    string // the key, quoted
	progress string // the statement recording progress
}

func newDriverIO(kind database.Kind, j *job.Job, c driverConn) *driverIO {
	f, _ := database.FactsOf(kind)
	return &driverIO{
		kind: kind, j: j, conn: c,
		columns:  strings.Join(database.QuoteAll(kind, j.Read), ", "),
		order:    strings.Join(database.QuoteAll(kind, j.Key), ", "),
		progress: "INSERT INTO " + ProgressTable + " (name, last_key) VALUES (?, ?)" + f.Upsert([]string{"name"}, []string{"last_key"}),
	}
}

func (d *driverIO) read(ctx context.Context, after, upTo []any, size int) (job.Page, error) {
	q := "SELECT " + d.columns + " FROM " + database.Quote(d.kind, d.j.Table)
	cond, args, err := keyBetween(d.kind, d.j, after, upTo)
	if err != nil {
		return nil, err
	}
	if cond != "" {
		q += " WHERE " + cond
	}
	q += " ORDER BY " + d.order + " LIMIT " + strconv.Itoa(size)
	page, err := d.conn.query(ctx, q, args, d.j.Rows.Scan)
	if err != nil {
		return nil, fmt.Errorf("read page after key %v: %w", after, err)
	}
	return page, nil
}

func (d *driverIO) write(ctx context.Context, bulk *Bulk, batch *Batch, progress string, last []any) error {
	q, args, err := bulk.statement(batch)
	if err != nil {
		return err
	}
	key, err := json.Marshal(last)
	if err != nil {
		return fmt.Errorf("record progress of %s: %w", progress, err)
	}
	return retry(ctx, func() error {
		return d.conn.tx(ctx, func(exec func(q string, args ...any) error) error {
			if err := exec(q, args...); err != nil {
				return fmt.Errorf("bulk update (%s) of keys %v..%v: %w", bulk.form, batch.Keys[0], batch.Keys[batch.Len()-1], err)
			}
			if err := exec(d.progress, progress, string(key)); err != nil {
				return fmt.Errorf("record progress of %s: %w", progress, err)
			}
			return nil
		})
	})
}

// driverConn is one connection used through its driver; statements are
// written with ? placeholders.
type driverConn interface {
	// query runs q and reads its rows with scan.
	query(ctx context.Context, q string, args []any, scan func(job.RowScanner) (job.Page, error)) (job.Page, error)
	// tx runs fn in a transaction, committed if fn returns nil.
	tx(ctx context.Context, fn func(exec func(q string, args ...any) error) error) error
}

// sqlConn is a database/sql connection.
type sqlConn struct{ c *sql.Conn }

func (s sqlConn) query(ctx context.Context, q string, args []any, scan func(job.RowScanner) (job.Page, error)) (job.Page, error) {
	rs, err := s.c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	return scan(rs)
}

func (s sqlConn) tx(ctx context.Context, fn func(exec func(q string, args ...any) error) error) error {
	tx, err := s.c.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// pgConn is pgx's own connection: the extended protocol, statements
// prepared and cached by pgx.
type pgConn struct{ c *pgx.Conn }

func (p pgConn) query(ctx context.Context, q string, args []any, scan func(job.RowScanner) (job.Page, error)) (job.Page, error) {
	rs, err := p.c.Query(ctx, dollars(q), args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	return scan(rs)
}

func (p pgConn) tx(ctx context.Context, fn func(exec func(q string, args ...any) error) error) error {
	return pgx.BeginFunc(ctx, p.c, func(tx pgx.Tx) error {
		return fn(func(q string, args ...any) error {
			_, err := tx.Exec(ctx, dollars(q), args...)
			return err
		})
	})
}

// dollars numbers the ? placeholders of q as PostgreSQL's $1, $2, …,
// leaving quoted identifiers and string literals as they are.
func dollars(q string) string {
	var b strings.Builder
	b.Grow(len(q) + len(q)/4)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ParseLayers turns a comma-separated list of layers ("gorm", "driver")
// into layers, in the order given.
func ParseLayers(list string) ([]Layer, error) {
	var out []Layer
	for _, name := range strings.Split(list, ",") {
		l := Layer(strings.TrimSpace(name))
		if l != LayerGORM && l != LayerDriver {
			return nil, fmt.Errorf("unknown layer %q (known: %s, %s)", l, LayerGORM, LayerDriver)
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out, nil
}

// OnLayers returns the forms of ss on layers: each strategy through GORM
// if layers holds LayerGORM, followed by its driver form, where it has
// one, if layers holds LayerDriver. A driver form named in ss is kept.
func OnLayers(ss []Strategy, layers []Layer) []Strategy {
	var out []Strategy
	for _, s := range ss {
		if _, ok := s.(Layered); ok || slices.Contains(layers, LayerGORM) {
			out = append(out, s)
		}
		if !slices.Contains(layers, LayerDriver) {
			continue
		}
		for _, d := range DriverForms() {
			if of, _ := d.(Layered).LayerOf(); of.Name() == s.Name() && !slices.ContainsFunc(ss, func(x Strategy) bool { return x.Name() == d.Name() }) {
				out = append(out, d)
			}
		}
	}
	return out
}
