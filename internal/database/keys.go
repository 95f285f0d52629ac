package database

import (
	"errors"
	"fmt"
	"strings"

	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// KeyBound returns the condition "the key (cols) op (?, ?, …)" in a
// database's SQL, and the arguments it takes for a key's values: the
// row-value comparison (a, b) > (?, ?) on PostgreSQL and SQLite, which
// both use as an index range; on MariaDB, whose optimizer does not, the same
// comparison written out, a > ? OR (a = ? AND b > ?). op is one of >, >=,
// < and <=. A key of one column is always col op ?.
func KeyBound(kind Kind, cols []string, op string) (cond string, args func(vals []any) []any, err error) {
	if len(cols) == 0 {
		return "", nil, fmt.Errorf("a key needs at least one column")
	}
	switch op {
	case ">", ">=", "<", "<=":
	default:
		return "", nil, fmt.Errorf("key bound: unknown operator %q", op)
	}
	same := func(vals []any) []any { return vals }
	if len(cols) == 1 {
		return cols[0] + " " + op + " ?", same, nil
	}
	if facts(kind).RowValues {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
		return "(" + strings.Join(cols, ", ") + ") " + op + " (" + marks + ")", same, nil
	}
	// a op' ? OR (a = ? AND b op' ?) OR … (a = ? AND … AND z op ?), where
	// op' is op without its equality: only the last column may be equal.
	strict := op[:1]
	var terms []string
	for i := range cols {
		var t []string
		for _, c := range cols[:i] {
			t = append(t, c+" = ?")
		}
		o := strict
		if i == len(cols)-1 {
			o = op
		}
		t = append(t, cols[i]+" "+o+" ?")
		terms = append(terms, "("+strings.Join(t, " AND ")+")")
	}
	expanded := func(vals []any) []any {
		out := make([]any, 0, len(vals)*(len(vals)+1)/2)
		for i := range vals {
			out = append(out, vals[:i+1]...)
		}
		return out
	}
	return "(" + strings.Join(terms, " OR ") + ")", expanded, nil
}

// KeyEqual returns "a = ? AND b = ?" for a key's columns, qualified by
// alias when it is not empty.
func KeyEqual(cols []string, alias string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		if alias != "" {
			c = alias + "." + c
		}
		parts[i] = c + " = ?"
	}
	return strings.Join(parts, " AND ")
}

// Quote returns the identifier name quoted for a kind of database:
// backticks on MariaDB, double quotes elsewhere, so that a column named
// like a keyword (lines, order, key) can be used.
func Quote(kind Kind, name string) string { return facts(kind).Quote(name) }

// QuoteAll quotes every name.
func QuoteAll(kind Kind, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = Quote(kind, n)
	}
	return out
}

// IsLockTimeout reports whether err is a statement that gave up waiting:
// PostgreSQL's lock_timeout (55P03) or statement_timeout (57014),
// MariaDB's lock wait timeout (1205) or max_statement_time (1969), SQLite's
// busy or locked database. A batch that fails so can be tried again,
// smaller.
func IsLockTimeout(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "55P03" || pg.Code == "57014"
	}
	var my *mysqldriver.MySQLError
	if errors.As(err, &my) {
		return my.Number == 1205 || my.Number == 1969
	}
	var lite sqlite3.Error
	if errors.As(err, &lite) {
		return lite.Code == sqlite3.ErrBusy || lite.Code == sqlite3.ErrLocked
	}
	return false
}
