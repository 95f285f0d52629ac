package database

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// redacted replaces a password wherever a DSN is shown or written.
const redacted = "xxxxx"

// keywordDSN matches a libpq keyword/value connection string
// ("host=db user=bob password=… dbname=app"): it starts with one of libpq's
// keywords and an equals sign.
var keywordDSN = regexp.MustCompile(`^\s*(host|hostaddr|port|dbname|user|password|sslmode|service|application_name|connect_timeout|options)\s*=`)

// mysqlDSN matches go-sql-driver's own format: [user[:pass]@]proto(addr)/db.
var mysqlDSN = regexp.MustCompile(`^([^@/]*@)?(tcp|unix)(\([^)]*\))?/`)

// KindOfDSN infers the database kind from a DSN: postgres:// and
// postgresql:// URLs and libpq keyword/value strings are PostgreSQL;
// mysql:// and mariadb:// URLs and go-sql-driver DSNs
// (user:pass@tcp(host:3306)/db) are MariaDB (or MySQL); any other URL is
// refused, and what is left is taken for a SQLite file path.
func KindOfDSN(dsn string) (Kind, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"), keywordDSN.MatchString(dsn):
		return Postgres, nil
	case strings.HasPrefix(dsn, "mysql://"), strings.HasPrefix(dsn, "mariadb://"), mysqlDSN.MatchString(dsn):
		return MariaDB, nil
	case strings.Contains(dsn, "://"):
		scheme, _, _ := strings.Cut(dsn, "://")
		return "", fmt.Errorf("--dsn %s: iterbench knows postgres://, mysql:// and mariadb:// URLs, libpq key=value strings "+
			"and SQLite file paths, not %s://", Redact(dsn), scheme)
	case strings.Contains(dsn, "=") && strings.ContainsAny(dsn, " \t"):
		return "", fmt.Errorf("--dsn: a string of key=value settings that is not a libpq connection string " +
			"(host=… dbname=… user=…); for SQLite give a file path")
	}
	return SQLite, nil
}

// Redact returns dsn with its password, in whichever form it is given
// (URL user info, a password= query parameter, a libpq password= keyword, a
// go-sql-driver DSN), replaced by "xxxxx", for messages and results files.
func Redact(dsn string) string {
	if keywordDSN.MatchString(dsn) {
		return keywordPassword.ReplaceAllString(dsn, "${1}"+redacted)
	}
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && strings.Contains(dsn, "://") {
		if u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), redacted)
			}
		}
		q := u.Query()
		for k := range q {
			if isPasswordKey(k) {
				q.Set(k, redacted)
			}
		}
		if len(q) > 0 {
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	if mysqlDSN.MatchString(dsn) {
		if cfg, err := mysqldriver.ParseDSN(dsn); err == nil {
			if cfg.Passwd != "" {
				cfg.Passwd = redacted
			}
			return cfg.FormatDSN()
		}
		return redacted // unparsable: show nothing of it
	}
	return dsn
}

// keywordPassword matches the value of a password keyword in a libpq
// string: a quoted value (with \' and \\ escapes) or a bare word.
var keywordPassword = regexp.MustCompile(`((?:^|\s)password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)

func isPasswordKey(k string) bool {
	k = strings.ToLower(k)
	return k == "password" || k == "pass" || k == "passwd" || k == "pwd"
}

// RedactErr returns err's text with dsn's password, if any, removed.
func RedactErr(err error, dsn string) string { return redactErr(err, dsn) }

// redactErr returns err's text with dsn's password, if any, removed.
func redactErr(err error, dsn string) string {
	msg := err.Error()
	for _, pw := range passwords(dsn) {
		if pw != "" {
			msg = strings.ReplaceAll(msg, pw, redacted)
		}
	}
	return msg
}

// passwords returns the passwords dsn carries, in every spelling a driver
// may echo (as given, and as parsed).
func passwords(dsn string) []string {
	var out []string
	if u, err := url.Parse(dsn); err == nil && strings.Contains(dsn, "://") {
		if u.User != nil {
			pw, _ := u.User.Password()
			out = append(out, pw)
		}
		for k, v := range u.Query() {
			if isPasswordKey(k) {
				out = append(out, v...)
			}
		}
	}
	if m := keywordPassword.FindStringSubmatch(dsn); m != nil {
		raw := strings.Trim(m[2], "'")
		out = append(out, raw)
	}
	if kind, err := KindOfDSN(dsn); err == nil && kind == Postgres {
		if cfg, err := pgconn.ParseConfig(dsn); err == nil {
			out = append(out, cfg.Password)
		}
	}
	if cfg, err := mysqldriver.ParseDSN(dsn); err == nil && mysqlDSN.MatchString(dsn) {
		out = append(out, cfg.Passwd)
	}
	return out
}
