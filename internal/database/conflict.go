package database

import (
	"errors"

	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// Conflict reports whether err is a transaction aborted for conflicting
// with another, which nothing of it committed and trying it again may cure:
// MariaDB's 1213, a deadlock or, on Galera, a transaction that failed
// certification or was aborted by a replicated writeset (a brute-force
// abort); PostgreSQL's deadlock (40P01) and serialization failure (40001),
// which a hot standby also gives a query cancelled for conflicting with the
// log it replays.
func Conflict(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40P01" || pg.Code == "40001"
	}
	var my *mysqldriver.MySQLError
	if errors.As(err, &my) {
		return my.Number == 1213
	}
	return false
}
