// Package dbcost reads what a run costs the database server: the log it
// writes, the dead rows and growth it leaves, and how long the worker's
// transactions and snapshots stay open. A Watch reads the server before a
// run, every Interval during it, and after it, on a connection of its own.
package dbcost

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/items"
	"github.com/iterbench/iterbench/internal/summary"
)

// DefaultInterval is how often a Watch reads the server during a run.
const DefaultInterval = 100 * time.Millisecond

// Config says what to watch.
type Config struct {
	Kind database.Kind
	// Interval is the time between readings (DefaultInterval).
	Interval time.Duration
	// SQLitePath is the SQLite database file.
	SQLitePath string
	// Table is the table whose size and dead rows are read; empty:
	// iterbench's own, items.Table.
	Table string
	// Exclude are session ids (MariaDB connection ids) that are not the
	// worker's: the probe's. On PostgreSQL the worker's sessions are known
	// by their application_name, database.WorkerApp.
	Exclude []int64
	// ServerCPU, if set, reads the CPU time the server's processes have
	// used so far, in seconds (CgroupCPU of its container): the run's
	// Server.CPUSeconds is the difference between its end and its start.
	ServerCPU func() (float64, error)
}

// reader reads one database's costs.
type reader interface {
	// before reads the starting point.
	before(ctx context.Context, c *sql.Conn, s *summary.Server) error
	// sample takes one reading during the run.
	sample(ctx context.Context, c *sql.Conn, s *summary.Server) error
	// after reads the end point.
	after(ctx context.Context, c *sql.Conn, s *summary.Server) error
}

func newReader(cfg Config) (reader, error) {
	switch cfg.Kind {
	case database.Postgres:
		return &postgres{table: cmp.Or(cfg.Table, items.Table)}, nil
	case database.MariaDB:
		return &mariadb{table: cmp.Or(cfg.Table, items.Table), exclude: cfg.Exclude}, nil
	case database.SQLite:
		return &sqlite{path: cfg.SQLitePath}, nil
	}
	return nil, fmt.Errorf("dbcost: unknown database %q", cfg.Kind)
}

// Watch is a run being watched.
type Watch struct {
	conn *sql.Conn
	r    reader
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	res  summary.Server
	errs []error
	// cpu reads the server's CPU time, cpu0 at Start; nil: not read.
	cpu  func() (float64, error)
	cpu0 float64
}

// Start reads the server's starting point on a connection of db's pool
// that it keeps until Stop, and takes a reading every cfg.Interval.
func Start(ctx context.Context, db *gorm.DB, cfg Config) (*Watch, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	r, err := newReader(cfg)
	if err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	c, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("server cost: connect: %w", err)
	}
	w := &Watch{conn: c, r: r, stop: make(chan struct{}), done: make(chan struct{})}
	if err := r.before(ctx, c, &w.res); err != nil {
		c.Close()
		return nil, fmt.Errorf("server cost: before the run: %w", err)
	}
	if cfg.ServerCPU != nil {
		if w.cpu0, err = cfg.ServerCPU(); err != nil {
			w.errs = append(w.errs, fmt.Errorf("the server's CPU time: %w", err))
		} else {
			w.cpu = cfg.ServerCPU
		}
	}
	go w.loop(ctx, cfg.Interval)
	return w, nil
}

func (w *Watch) loop(ctx context.Context, every time.Duration) {
	defer close(w.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.mu.Lock()
		w.read(ctx, "during the run")
		w.mu.Unlock()
	}
}

// read takes one reading and counts it, or keeps the first error, said to
// have happened when; w.mu must be held.
func (w *Watch) read(ctx context.Context, when string) {
	err := w.r.sample(ctx, w.conn, &w.res)
	if err == nil {
		w.res.Samples++
	} else if len(w.errs) == 0 && ctx.Err() == nil {
		w.errs = append(w.errs, fmt.Errorf("%s: %w", when, err))
	}
}

// Samples returns the number of readings taken so far.
func (w *Watch) Samples() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.res.Samples
}

// Stop ends the readings with a last one, so that a run shorter than one
// interval has one too, reads the end point and returns the costs; the
// error says what could not be read (the costs hold what could).
func (w *Watch) Stop(ctx context.Context) (summary.Server, error) {
	close(w.stop)
	<-w.done
	defer w.conn.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.read(ctx, "at the end of the run")
	if err := w.r.after(ctx, w.conn, &w.res); err != nil {
		w.errs = append(w.errs, fmt.Errorf("after the run: %w", err))
	}
	if w.cpu != nil {
		if t, err := w.cpu(); err != nil {
			w.errs = append(w.errs, fmt.Errorf("the server's CPU time: %w", err))
		} else {
			w.res.CPUSeconds = max(0, t-w.cpu0)
		}
	}
	if err := errors.Join(w.errs...); err != nil {
		return w.res, fmt.Errorf("server cost: %w", err)
	}
	return w.res, nil
}
