package database

import (
	"fmt"
	"strings"
	"time"
)

// Facts is what iterbench knows of one kind of database, declared in one
// file per database (sqlite.go, postgres.go, mariadb.go): the SQL that
// differs between them. Code elsewhere asks FactsOf instead of comparing
// kinds.
type Facts struct {
	// Kind is the database.
	Kind Kind
	// ItemsDDL creates iterbench's own table: its JSON column in the
	// database's JSON type, touched_at for the application probe.
	ItemsDDL func(table string) string
	// RowValues is set when the database uses a row-value comparison,
	// (a, b) > (?, ?), as an index range; else KeyBound writes it out.
	RowValues bool
	// QuoteOpen and QuoteClose quote an identifier.
	QuoteOpen, QuoteClose string
	// Dollar is set when parameters are $1, $2…; else ?.
	Dollar bool
	// BulkForms are the bulk-update forms the database offers, the
	// fastest (measured by BenchmarkBulkForms) first: the default.
	BulkForms []string
	// Upsert returns the clause of an INSERT that, on a conflict on key,
	// sets the columns set from the row it would have inserted.
	Upsert func(key, set []string) string
	// Analyze returns the statements that refresh a table's statistics
	// after it was filled, and settle what filling it left (the WAL).
	Analyze func(table string) []string
	// Settle are statements worth running after a table was filled whose
	// failure is no error (a CHECKPOINT needs a privilege).
	Settle []string
	// Embedded is set for a database in a file of the process's own,
	// which needs no server (SQLite).
	Embedded bool
	// UpdatesInPlace is set when an UPDATE leaves no old row version
	// behind (SQLite): a table is reset by setting its columns back,
	// where the others are filled afresh so that no run inherits the dead
	// rows of the one before.
	UpdatesInPlace bool
	// CopyFrom is set when rows are loaded with the driver's COPY
	// (PostgreSQL, pgx's CopyFrom) rather than multi-row INSERTs.
	CopyFrom bool
	// NullablePrimaryKey is set when a PRIMARY KEY column may hold NULL
	// unless declared NOT NULL (SQLite, but for its INTEGER rowid).
	NullablePrimaryKey bool
	// MaxValue is the largest value, in bytes, the database takes in one
	// column; zero when MaxValueQuery says (a server setting).
	MaxValue int64
	// MaxValueQuery reads MaxValue from the server.
	MaxValueQuery string
	// LockWait returns the statements that limit how long a session waits
	// for a lock.
	LockWait func(time.Duration) []string
	// SessionID reads the session's id on the server; empty: none.
	SessionID string
	// CopyLike returns the statement that creates the empty table dst
	// like src (columns, key, indexes); empty: CreateLike copies the
	// source's own CREATE statements.
	CopyLike func(src, dst string) string
	// OverridingSystemValue is set when an INSERT of every column's value
	// must say so to fill identity columns.
	OverridingSystemValue bool
	// InsertableQuery lists, in order, the columns of the table named by
	// its parameter that an INSERT may fill: not the generated ones.
	InsertableQuery string
}

// FactsOf returns the facts of a kind of database.
func FactsOf(kind Kind) (Facts, error) {
	switch kind {
	case SQLite:
		return sqliteFacts, nil
	case Postgres:
		return postgresFacts, nil
	case MariaDB:
		return mariadbFacts, nil
	}
	return Facts{}, fmt.Errorf("unsupported database %q", kind)
}

// facts returns the facts of a kind the caller knows to be supported; an
// unknown kind gets SQLite's, whose statements then fail with the
// database's own error.
func facts(kind Kind) Facts {
	f, err := FactsOf(kind)
	if err != nil {
		return sqliteFacts
	}
	return f
}

// Placeholder returns the i-th parameter's mark (from 1).
func (f Facts) Placeholder(i int) string {
	if f.Dollar {
		return fmt.Sprintf("$%d", i)
	}
	return "?"
}

// Quote returns name quoted as an identifier.
func (f Facts) Quote(name string) string { return quoteWith(f.QuoteOpen, f.QuoteClose, name) }

// quoteWith quotes name between open and close, doubling close inside.
func quoteWith(open, close, name string) string {
	return open + strings.ReplaceAll(name, close, close+close) + close
}

// joinQuoted quotes names between open and close and joins them with
// commas.
func joinQuoted(open, close string, names []string) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = quoteWith(open, close, n)
	}
	return strings.Join(s, ", ")
}
