// Package lock keeps two iterbench runs off one database: a run holds a lock
// on its target for its whole life (PostgreSQL: an advisory lock; MariaDB:
// GET_LOCK; SQLite: flock on a file beside the database), and a second run
// is refused at once, told which run holds it.
package lock

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
)

// ErrHeld is returned by Acquire when another run holds the target.
var ErrHeld = errors.New("another iterbench run is using this database")

// Holder describes the run holding a lock.
type Holder struct {
	Host    string
	PID     int
	Started time.Time
}

// Self describes this process.
func Self() Holder {
	host, _ := os.Hostname()
	return Holder{Host: host, PID: os.Getpid(), Started: time.Now().UTC().Truncate(time.Second)}
}

// String is how a holder is recorded and shown.
func (h Holder) String() string {
	return fmt.Sprintf("host %s, pid %d, started %s", h.Host, h.PID, h.Started.Format(time.RFC3339))
}

// Lock is a held lock; Release gives it up.
type Lock struct {
	release func() error
}

// Release gives the lock up. It is safe to call more than once.
func (l *Lock) Release() error {
	if l == nil || l.release == nil {
		return nil
	}
	r := l.release
	l.release = nil
	return r()
}

// name is the lock's name on the servers.
const name = "iterbench"

// advisoryKey is PostgreSQL's advisory lock key for iterbench ("iter").
const advisoryKey = 0x69746572

// Acquire takes the lock on the database db for
// this process, described by self; sqliteFile is the database file for
// SQLite. It returns an error wrapping ErrHeld, naming the holder, when
// another run holds it.
func Acquire(ctx context.Context, db *gorm.DB, sqliteFile string, self Holder) (*Lock, error) {
	switch database.KindOf(db) {
	case database.SQLite:
		return acquireFile(sqliteFile+".iterbench-lock", self)
	case database.Postgres:
		return acquireServer(ctx, db, self, postgresLock)
	case database.MariaDB:
		return acquireServer(ctx, db, self, mariadbLock)
	}
	return nil, fmt.Errorf("lock: unsupported database %q", database.KindOf(db))
}

// acquireFile takes an exclusive flock on path and writes self into it.
func acquireFile(path string, self Holder) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, held(strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(self.String()+"\n"), 0)
	}
	return &Lock{release: func() error {
		os.Remove(path) // while still locked: the next run creates it afresh
		return f.Close()
	}}, nil
}

func held(holder string) error {
	if holder == "" {
		holder = "holder unknown"
	}
	return fmt.Errorf("%w (%s); wait for it to finish, or point --dsn at another database", ErrHeld, holder)
}

// serverLock takes the lock on conn, which it then holds, or reports the
// holder.
type serverLock func(ctx context.Context, conn *sql.Conn, self Holder) (ok bool, holder string, err error)

func acquireServer(ctx context.Context, db *gorm.DB, self Holder, take serverLock) (*Lock, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	// A connection of its own, held for the run's life: the lock lives as
	// long as it does, and goes with it if the process dies.
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	ok, holder, err := take(ctx, conn, self)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("lock: %w", err)
	}
	if !ok {
		conn.Close()
		return nil, held(holder)
	}
	return &Lock{release: func() error {
		// Close the session itself, not just hand the connection back to
		// the pool: the lock is the session's.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		if err := conn.Close(); err != nil && !errors.Is(err, sql.ErrConnDone) {
			return err
		}
		return nil
	}}, nil
}

// postgresLock takes a session advisory lock, naming the holder in the
// session's application_name, where a second run finds it.
func postgresLock(ctx context.Context, conn *sql.Conn, self Holder) (bool, string, error) {
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", advisoryKey).Scan(&ok); err != nil {
		return false, "", err
	}
	if ok {
		_, err := conn.ExecContext(ctx, "SELECT set_config('application_name', $1, false)", "iterbench run: "+self.String())
		return true, "", err
	}
	var holder string
	err := conn.QueryRowContext(ctx, `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objid = $1 LIMIT 1`, advisoryKey).Scan(&holder)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, "", err
	}
	return false, strings.TrimPrefix(holder, "iterbench run: "), nil
}

// holderTable records, on MariaDB, who holds the named lock.
const holderTable = "iterbench_lock"

// mariadbLock takes GET_LOCK and records the holder in a table of its own
// (MariaDB sessions carry no name a second run could read).
func mariadbLock(ctx context.Context, conn *sql.Conn, self Holder) (bool, string, error) {
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(CONCAT(?, DATABASE()), 0)", name+":").Scan(&got); err != nil {
		return false, "", err
	}
	if got.Valid && got.Int64 == 1 {
		if _, err := conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+holderTable+" (name VARCHAR(64) PRIMARY KEY, holder VARCHAR(255) NOT NULL)"); err != nil {
			return false, "", err
		}
		_, err := conn.ExecContext(ctx, "REPLACE INTO "+holderTable+" (name, holder) VALUES (?, ?)", name, self.String())
		return true, "", err
	}
	var holder string
	err := conn.QueryRowContext(ctx, "SELECT holder FROM "+holderTable+" WHERE name = ?", name).Scan(&holder)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, "", nil // held; who holds it is not recorded
	}
	return false, holder, nil
}
