// Package database opens the databases iterbench measures: it knows each
// supported kind, how to turn a user's DSN into a driver DSN, which settings
// it applies, and how to describe a DSN without its password.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/sys/unix"
	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Kind names a supported database.
type Kind string

// The supported kinds.
const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
	MariaDB  Kind = "mariadb"
)

// Kinds lists the supported kinds in the order the CLI documents them.
func Kinds() []Kind { return []Kind{SQLite, Postgres, MariaDB} }

// ParseKind returns the Kind named s.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds() {
		if string(k) == s {
			return k, nil
		}
	}
	if s == "mysql" {
		return MariaDB, nil
	}
	return "", fmt.Errorf("unknown database %q (want sqlite, postgres or mariadb)", s)
}

// SQLiteSettings are the connection settings applied to every SQLite
// connection, parent and workers alike. WAL lets a streaming read and writes
// on a second connection proceed together (the cursor strategies need that);
// synchronous=NORMAL is the usual WAL pairing and keeps per-row commits from
// each waiting for an fsync, which would measure the disk, not the strategy.
// Memory-mapped I/O stays off so that RSS counts only what the process
// allocates, not pages of the database file.
func SQLiteSettings() map[string]string {
	return map[string]string{
		"journal_mode": "WAL",
		"synchronous":  "NORMAL",
		"busy_timeout": "10000",
		"mmap_size":    "0", // the build's default; listed for the record
		"cache_size":   "-2000",
	}
}

// Open connects to a database of the given kind. dsn is a file path for
// SQLite, a postgres:// URL for PostgreSQL, and a mysql:// URL or a
// go-sql-driver DSN for MariaDB. It pings the server before returning.
func Open(ctx context.Context, kind Kind, dsn string) (*gorm.DB, error) {
	return OpenAs(ctx, kind, dsn, "")
}

// Application names iterbench's sessions give themselves on PostgreSQL
// (application_name), so that the server's views tell them apart.
const (
	WorkerApp = "iterbench worker"
	ProbeApp  = "iterbench probe"
)

// OpenAs is Open with, on PostgreSQL, app as every session's
// application_name (when not empty).
func OpenAs(ctx context.Context, kind Kind, dsn, app string) (*gorm.DB, error) {
	var dialector gorm.Dialector
	switch kind {
	case SQLite:
		if dsn == "" {
			return nil, errors.New("sqlite needs a database file path")
		}
		dialector = sqlite.Open(sqliteDSN(dsn))
	case Postgres:
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("parse DSN %s: %s", Redact(dsn), redactErr(err, dsn))
		}
		cfg.DialFunc = dial
		if app != "" {
			cfg.RuntimeParams["application_name"] = app
		}
		dialector = postgres.New(postgres.Config{Conn: stdlib.OpenDB(*cfg)})
	case MariaDB:
		d, err := MySQLDSN(dsn)
		if err != nil {
			return nil, err
		}
		cfg, err := mysqldriver.ParseDSN(d)
		if err != nil {
			return nil, fmt.Errorf("parse DSN %s: %s", Redact(dsn), redactErr(err, dsn))
		}
		cfg.DialFunc = dial
		conn, err := mysqldriver.NewConnector(cfg)
		if err != nil {
			return nil, fmt.Errorf("parse DSN %s: %s", Redact(dsn), redactErr(err, dsn))
		}
		dialector = mysql.New(mysql.Config{Conn: sql.OpenDB(conn)})
	default:
		return nil, fmt.Errorf("unknown database %q", kind)
	}
	db, err := gorm.Open(dialector, &gorm.Config{
		// Each strategy decides its own transactions; a single UPDATE is atomic.
		SkipDefaultTransaction: true,
		// Workers talk to their parent over stdout: GORM must not print there.
		Logger: logger.Discard,
	})
	if err != nil {
		return nil, fmt.Errorf("connect to %s %s: %s", kind, Redact(dsn), redactErr(err, dsn))
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect to %s %s: %s", kind, Redact(dsn), redactErr(err, dsn))
	}
	return db, nil
}

// Close closes db's connection pool.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Network timeouts: a server that goes away mid-run must turn into an
// error, not a worker blocked for the kernel's default quarter of an hour.
const (
	connectTimeout = 10 * time.Second
	// userTimeout bounds how long sent data may stay unacknowledged, and
	// keep-alive probes find a silent peer while a read waits.
	userTimeout = 20 * time.Second
)

// dial connects to a database server with the timeouts above.
func dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{
		Timeout: connectTimeout,
		KeepAliveConfig: net.KeepAliveConfig{
			Enable: true, Idle: 5 * time.Second, Interval: 5 * time.Second, Count: 3,
		},
		Control: func(network, address string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(userTimeout.Milliseconds()))
			})
			if err != nil {
				return err
			}
			return serr
		},
	}
	return d.DialContext(ctx, network, addr)
}

// SQLitePath is the file a SQLite DSN names.
func SQLitePath(dsn string) string {
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	return path
}

func sqliteDSN(path string) string {
	s := SQLiteSettings()
	path = strings.TrimPrefix(path, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i] // settings are ours to choose, for a fair comparison
	}
	return fmt.Sprintf("file:%s?_journal_mode=%s&_synchronous=%s&_busy_timeout=%s&_cache_size=%s&_txlock=immediate",
		path, s["journal_mode"], s["synchronous"], s["busy_timeout"], s["cache_size"])
}

// MySQLDSN converts a mysql:// or mariadb:// URL to go-sql-driver's DSN
// format and sets the options iterbench needs; a DSN already in that format
// is accepted as is.
func MySQLDSN(dsn string) (string, error) {
	var cfg *mysqldriver.Config
	if strings.HasPrefix(dsn, "mysql://") || strings.HasPrefix(dsn, "mariadb://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse DSN %s: %w", Redact(dsn), errors.Unwrap(err))
		}
		cfg = mysqldriver.NewConfig()
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		cfg.Net = "tcp"
		cfg.Addr = u.Host
		if u.Port() == "" {
			cfg.Addr = u.Host + ":3306"
		}
		cfg.DBName = strings.TrimPrefix(u.Path, "/")
		for k, v := range u.Query() {
			if cfg.Params == nil {
				cfg.Params = map[string]string{}
			}
			cfg.Params[k] = v[0]
		}
	} else {
		var err error
		if cfg, err = mysqldriver.ParseDSN(dsn); err != nil {
			return "", fmt.Errorf("parse DSN %s: not a mysql:// URL or go-sql-driver DSN", Redact(dsn))
		}
	}
	cfg.ParseTime = true
	cfg.InterpolateParams = false
	// Rows affected counts the rows matched, as on PostgreSQL and SQLite,
	// not only those whose value changed.
	cfg.ClientFoundRows = true
	return cfg.FormatDSN(), nil
}

// Version returns the server's version string.
func Version(ctx context.Context, db *gorm.DB) (string, error) {
	var q string
	switch db.Name() {
	case "sqlite":
		q = "SELECT sqlite_version()"
	default:
		q = "SELECT version()"
	}
	var v string
	if err := db.WithContext(ctx).Raw(q).Scan(&v).Error; err != nil {
		return "", fmt.Errorf("query server version: %w", err)
	}
	return v, nil
}

// Driver returns the Go driver module iterbench uses for kind and its
// version, as built into this binary.
func Driver(kind Kind) (path, version string) {
	switch kind {
	case SQLite:
		path = "github.com/mattn/go-sqlite3"
	case Postgres:
		path = "github.com/jackc/pgx/v5"
	case MariaDB:
		path = "github.com/go-sql-driver/mysql"
	}
	return path, ModuleVersion(path)
}

// ModuleVersion returns the version of module path built into this binary,
// or "unknown".
func ModuleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == path {
				if m.Replace != nil {
					return m.Replace.Version
				}
				return m.Version
			}
		}
	}
	return "unknown"
}

// KindOf returns the kind of database db is connected to, from its GORM
// dialector: the one place a dialector's name is read.
func KindOf(db *gorm.DB) Kind {
	if db.Name() == "mysql" {
		return MariaDB
	}
	return Kind(db.Name())
}

// Dialect returns the GORM dialector name of kind.
func (k Kind) Dialect() string {
	if k == MariaDB {
		return "mysql"
	}
	return string(k)
}

// Settings reads the server settings that affect the speed of a run: the
// SQLite connection settings, PostgreSQL's durability and memory settings,
// MariaDB's InnoDB flush and buffer settings.
func Settings(ctx context.Context, db *gorm.DB) (map[string]string, error) {
	var names []string
	var query func(name string) string
	switch db.Name() {
	case "sqlite":
		return SQLiteSettings(), nil
	case "postgres":
		names = []string{"fsync", "synchronous_commit", "full_page_writes", "shared_buffers", "work_mem"}
		query = func(name string) string { return "SHOW " + name }
	case "mysql":
		names = []string{"innodb_flush_log_at_trx_commit", "innodb_buffer_pool_size", "innodb_doublewrite", "log_bin", "sync_binlog"}
		query = func(name string) string { return "SELECT @@" + name }
	default:
		return nil, fmt.Errorf("settings: unsupported dialect %q", db.Name())
	}
	out := map[string]string{}
	for _, name := range names {
		var v string
		if err := db.WithContext(ctx).Raw(query(name)).Scan(&v).Error; err != nil {
			return out, fmt.Errorf("read setting %s: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}
