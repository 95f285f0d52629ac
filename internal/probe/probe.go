// Package probe plays a small application beside a backfill: at a fixed
// rate it reads one row by a random id or updates one row's touched_at
// column (on a user's table, Target: reads a column of a row by a random
// key from a sample, or writes it back as it is, which takes the row's lock
// and, on PostgreSQL, makes a new row version), on connections of its own with a 1 s lock-wait limit, and records
// how long each operation took from the moment it was due. Measuring from
// when an operation was due, not from when a connection was free to send it,
// counts the time spent queued behind a blocked operation (no coordinated
// omission), as an application's users would feel it.
package probe

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/items"
	"github.com/iterbench/iterbench/internal/summary"
)

// Defaults of Config.
const (
	DefaultRate       = 200
	DefaultConns      = 8
	DefaultWriteShare = 0.5
	DefaultLockWait   = time.Second
	DefaultWindow     = 250 * time.Millisecond
)

// Config describes the application the probe plays.
type Config struct {
	// Rate is the operations started per second.
	Rate float64
	// Rows is the table's row count: ids are drawn from 1..Rows.
	Rows int64
	// Conns is the probe's connection pool size (DefaultConns).
	Conns int
	// WriteShare is the share of operations that are UPDATEs
	// (DefaultWriteShare).
	WriteShare float64
	// LockWait is how long an operation waits for a lock before it gives up
	// (DefaultLockWait): lock_timeout, innodb_lock_wait_timeout, SQLite's
	// busy timeout.
	LockWait time.Duration
	// Window is the span of the latency windows (DefaultWindow).
	Window time.Duration
	// Seed makes the ids and the mix of operations repeatable.
	Seed uint64
	// Target, if set, is the table the probe works on instead of
	// iterbench's own (whose ids are 1..Rows); Rows is then ignored.
	Target *Target
	// ReadDSN, if set, is where the probe's reads go: a PostgreSQL hot
	// standby, as an application that reads from its replicas. Each read
	// also asks the standby how stale its rows are (Probe.StaleMaxMs).
	ReadDSN string
}

// Target is a table of any key the probe works on.
type Target struct {
	// Table is the table.
	Table string
	// Key are its key's columns.
	Key []string
	// Column is the column read, and written back as it is.
	Column string
	// Keys are the keys the probe draws from: a sample of the table's.
	Keys [][]any
}

func (c Config) withDefaults() Config {
	if c.Conns <= 0 {
		c.Conns = DefaultConns
	}
	if c.WriteShare <= 0 {
		c.WriteShare = DefaultWriteShare
	}
	if c.LockWait <= 0 {
		c.LockWait = DefaultLockWait
	}
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	return c
}

// Probe holds the probe's connections.
type Probe struct {
	cfg   Config
	kind  database.Kind
	db    *gorm.DB
	conns []*sql.Conn
	// readDB and readConns are the pool of ReadDSN, one connection beside
	// each of conns; nil without ReadDSN.
	readDB    *gorm.DB
	readConns []*sql.Conn
	ids       []int64
	read      string
	write     string
	starts    uint64
	running   bool
}

// Open connects the probe's pool to the database at dsn and prepares its
// connections: each has the lock-wait limit set, and its session id (on
// PostgreSQL and MariaDB) is in SessionIDs.
func Open(ctx context.Context, kind database.Kind, dsn string, cfg Config) (*Probe, error) {
	cfg = cfg.withDefaults()
	if cfg.Target != nil && len(cfg.Target.Keys) == 0 {
		return nil, fmt.Errorf("probe: no key to draw from in %s", cfg.Target.Table)
	}
	if cfg.Rate <= 0 || cfg.Target == nil && cfg.Rows <= 0 {
		return nil, fmt.Errorf("probe: rate %v and rows %d must be positive", cfg.Rate, cfg.Rows)
	}
	db, err := database.OpenAs(ctx, kind, dsn, database.ProbeApp)
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	p := &Probe{cfg: cfg, kind: kind, db: db}
	sqlDB, err := db.DB()
	if err != nil {
		database.Close(db)
		return nil, err
	}
	sqlDB.SetMaxOpenConns(cfg.Conns)
	setup, idQuery := sessionSetup(kind, cfg.LockWait)
	for range cfg.Conns {
		c, err := sqlDB.Conn(ctx)
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("probe: connect: %w", err)
		}
		p.conns = append(p.conns, c)
		for _, q := range setup {
			if _, err := c.ExecContext(ctx, q); err != nil {
				p.Close()
				return nil, fmt.Errorf("probe: %s: %w", q, err)
			}
		}
		if idQuery != "" {
			var id int64
			if err := c.QueryRowContext(ctx, idQuery).Scan(&id); err != nil {
				p.Close()
				return nil, fmt.Errorf("probe: session id: %w", err)
			}
			p.ids = append(p.ids, id)
		}
	}
	// A read of the first row and an update of no row (id 0 does not
	// exist) warm every connection up, so that the first measured
	// operations do not pay for preparing and planning the statements.
	warmRead, warmWrite := []any{int64(1)}, []any{int64(0)}
	if t := cfg.Target; t != nil {
		where := make([]string, len(t.Key))
		for i, k := range t.Key {
			where[i] = database.Quote(kind, k) + " = " + placeholder(kind, i+1)
		}
		tb, col := database.Quote(kind, t.Table), database.Quote(kind, t.Column)
		p.read = "SELECT " + col + " FROM " + tb + " WHERE " + strings.Join(where, " AND ")
		p.write = "UPDATE " + tb + " SET " + col + " = " + col + " WHERE " + strings.Join(where, " AND ")
		warmRead, warmWrite = t.Keys[0], t.Keys[0]
	} else {
		arg := placeholder(kind, 1)
		p.read = "SELECT score FROM " + items.Table + " WHERE id = " + arg
		p.write = "UPDATE " + items.Table + " SET " + items.TouchedColumn + " = " + items.TouchedColumn + " + 1 WHERE id = " + arg
	}
	if cfg.ReadDSN != "" {
		if err := p.openReads(ctx, setup); err != nil {
			p.Close()
			return nil, err
		}
	}
	for i, c := range p.conns {
		if _, err := c.ExecContext(ctx, p.write, warmWrite...); err != nil {
			p.Close()
			return nil, fmt.Errorf("probe: update: %w", err)
		}
		var v any
		var stale float64
		if err := p.scanRead(ctx, p.readConn(i, c), warmRead, &v, &stale); err != nil && !errors.Is(err, sql.ErrNoRows) {
			p.Close()
			return nil, fmt.Errorf("probe: read: %w", err)
		}
	}
	return p, nil
}

// staleness is the PostgreSQL expression of how stale a hot standby's rows
// are, in seconds: none when it has replayed all the log it received, else
// the age of the last transaction it replayed.
const staleness = "CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 " +
	"ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8"

// openReads opens the pool of ReadDSN and adds the staleness to the read.
func (p *Probe) openReads(ctx context.Context, setup []string) error {
	if p.kind != database.Postgres {
		return fmt.Errorf("probe: reads from another server (a standby) are for PostgreSQL, not %s", p.kind)
	}
	db, err := database.OpenAs(ctx, p.kind, p.cfg.ReadDSN, database.ProbeApp)
	if err != nil {
		return fmt.Errorf("probe: the standby: %w", err)
	}
	p.readDB = db
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	sqlDB.SetMaxOpenConns(p.cfg.Conns)
	for range p.cfg.Conns {
		c, err := sqlDB.Conn(ctx)
		if err != nil {
			return fmt.Errorf("probe: connect to the standby: %w", err)
		}
		p.readConns = append(p.readConns, c)
		for _, q := range setup {
			if _, err := c.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("probe: on the standby, %s: %w", q, err)
			}
		}
	}
	p.read = strings.Replace(p.read, "SELECT ", "SELECT "+staleness+", ", 1)
	return nil
}

// readConn is the connection the i-th server of the probe reads on: its
// standby connection, or c.
func (p *Probe) readConn(i int, c *sql.Conn) *sql.Conn {
	if p.readConns != nil {
		return p.readConns[i]
	}
	return c
}

// scanRead reads one row by key into v, and with ReadDSN how stale the
// standby's rows were into stale.
func (p *Probe) scanRead(ctx context.Context, c *sql.Conn, key []any, v any, stale *float64) error {
	row := c.QueryRowContext(ctx, p.read, key...)
	if p.readConns != nil {
		return row.Scan(stale, v)
	}
	return row.Scan(v)
}

// placeholder is the i-th parameter's mark.
func placeholder(kind database.Kind, i int) string {
	f, _ := database.FactsOf(kind)
	return f.Placeholder(i)
}

// sessionSetup returns the statements that set a connection's lock-wait
// limit, and the query of its session id.
func sessionSetup(kind database.Kind, wait time.Duration) (setup []string, idQuery string) {
	f, _ := database.FactsOf(kind)
	return f.LockWait(wait), f.SessionID
}

// SessionIDs are the server's ids of the probe's sessions (PostgreSQL
// backend pids, MariaDB connection ids); none on SQLite.
func (p *Probe) SessionIDs() []int64 { return slices.Clone(p.ids) }

// Close closes the probe's connections.
func (p *Probe) Close() error {
	for _, c := range append(p.conns, p.readConns...) {
		c.Close()
	}
	if p.readDB != nil {
		database.Close(p.readDB)
	}
	return database.Close(p.db)
}

// op is one operation, due at a time.
type op struct {
	due   time.Time
	key   []any
	write bool
}

// Running is a probe at work; Stop ends it.
type Running struct {
	p     *Probe
	start time.Time
	stop  chan struct{}
	queue chan op
	wg    sync.WaitGroup
	ctx   context.Context
	mu    sync.Mutex
	hist  *hdrhistogram.Histogram
	// stale holds how stale the standby's rows were at each read, in
	// microseconds (with ReadDSN).
	stale  *hdrhistogram.Histogram
	res    summary.Probe
	window [][]float64
	wtouts []int
	// period is the time between two operations, in nanoseconds: 1/rate,
	// changed by SetRate.
	period atomic.Int64
}

// Start begins playing the application; call Stop to end it. One probe
// runs one application at a time.
func (p *Probe) Start(ctx context.Context) *Running {
	if p.running {
		panic("probe: Start while running")
	}
	p.running = true
	p.starts++
	r := &Running{p: p, start: time.Now(), stop: make(chan struct{}), queue: make(chan op, 1<<16), ctx: ctx,
		hist: hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3), stale: hdrhistogram.New(0, int64(time.Hour/time.Microsecond), 3)}
	r.res.RatePerSecond = p.cfg.Rate
	r.SetRate(p.cfg.Rate)
	for i, c := range p.conns {
		r.wg.Add(1)
		go r.serve(c, p.readConn(i, c))
	}
	go r.schedule(rand.New(rand.NewPCG(p.cfg.Seed, p.starts)))
	return r
}

// SetRate changes the operations started per second from the next one on:
// the application's load stepping up or down while a run goes on.
func (r *Running) SetRate(rate float64) {
	if rate > 0 {
		r.period.Store(int64(float64(time.Second) / rate))
	}
}

// schedule sends operations at the rate set until Stop, each marked with
// when it was due.
func (r *Running) schedule(rnd *rand.Rand) {
	defer close(r.queue)
	t := time.NewTimer(0)
	defer t.Stop()
	for due := r.start; ; due = due.Add(time.Duration(r.period.Load())) {
		t.Reset(time.Until(due))
		select {
		case <-r.stop:
			return
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		o := op{due: due, write: rnd.Float64() < r.p.cfg.WriteShare}
		if t := r.p.cfg.Target; t != nil {
			o.key = t.Keys[rnd.IntN(len(t.Keys))]
		} else {
			o.key = []any{1 + rnd.Int64N(r.p.cfg.Rows)}
		}
		select {
		case r.queue <- o:
		default: // a backlog of 65,536 operations: count it, do not block the clock
			r.record(o, time.Since(due), errBacklog)
		}
	}
}

var errBacklog = errors.New("probe backlog full")

// serve runs operations: writes on c, reads on rc (c, or a standby's).
func (r *Running) serve(c, rc *sql.Conn) {
	defer r.wg.Done()
	for o := range r.queue {
		var err error
		stale := -1.0
		if o.write {
			_, err = c.ExecContext(r.ctx, r.p.write, o.key...)
		} else {
			var v any
			err = r.p.scanRead(r.ctx, rc, o.key, &v, &stale)
		}
		if r.ctx.Err() != nil {
			continue
		}
		if err == nil && stale >= 0 && r.p.readConns != nil {
			r.mu.Lock()
			r.stale.RecordValue(int64(stale * 1e6))
			r.mu.Unlock()
		}
		r.record(o, time.Since(o.due), err)
	}
}

// record adds one operation's latency and outcome.
func (r *Running) record(o op, lat time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hist.RecordValue(max(1, lat.Microseconds()))
	r.res.Ops++
	ms := float64(lat) / float64(time.Millisecond)
	if o.write {
		r.res.WriteMaxMs = max(r.res.WriteMaxMs, ms)
	}
	w := int(o.due.Sub(r.start) / r.p.cfg.Window)
	for len(r.window) <= w {
		r.window = append(r.window, nil)
		r.wtouts = append(r.wtouts, 0)
	}
	r.window[w] = append(r.window[w], ms)
	switch {
	case err == nil:
	case LockTimeout(err):
		r.res.Timeouts++
		r.wtouts[w]++
	case database.Conflict(err):
		r.res.Conflicts++
	default:
		r.res.Errors++
		if r.res.FirstError == "" {
			r.res.FirstError = err.Error()
		}
	}
}

// Seen returns the operations done and timed out so far.
func (r *Running) Seen() (ops, timeouts int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.res.Ops, r.res.Timeouts
}

// Stop ends the application, waits for the operations already due, and
// returns what the probe saw, with its latency per window (their T from
// the start of the probe; the caller names strategy and repeat).
func (r *Running) Stop() (summary.Probe, []summary.ProbeWindow) {
	close(r.stop)
	r.wg.Wait()
	r.p.running = false
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.res
	res.Seconds = time.Since(r.start).Seconds()
	if res.Ops > 0 {
		res.P50Ms = float64(r.hist.ValueAtQuantile(50)) / 1000
		res.P99Ms = float64(r.hist.ValueAtQuantile(99)) / 1000
		res.MaxMs = float64(r.hist.Max()) / 1000
	}
	if r.stale.TotalCount() > 0 {
		res.StaleP99Ms = float64(r.stale.ValueAtQuantile(99)) / 1000
		res.StaleMaxMs = float64(r.stale.Max()) / 1000
	}
	var ws []summary.ProbeWindow
	for i, lat := range r.window {
		if len(lat) == 0 {
			continue
		}
		ws = append(ws, summary.ProbeWindow{T: (time.Duration(i) * r.p.cfg.Window).Seconds(),
			Ops: len(lat), P99Ms: Quantile(lat, 0.99), Timeouts: r.wtouts[i]})
	}
	return res, ws
}

// Quantile returns the q-quantile of xs by the nearest-rank method; 0 for
// none.
func Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s))*q+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// LockTimeout reports whether err is a database giving up on a lock wait:
// PostgreSQL's lock_not_available (55P03), MariaDB's 1205, SQLite's busy or
// locked.
func LockTimeout(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "55P03"
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return my.Number == 1205
	}
	var sq sqlite3.Error
	if errors.As(err, &sq) {
		return sq.Code == sqlite3.ErrBusy || sq.Code == sqlite3.ErrLocked
	}
	return false
}
