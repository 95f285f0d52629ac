package database

import (
	"fmt"
	"time"
)

// sqliteFacts is what iterbench knows of SQLite.
var sqliteFacts = Facts{
	Kind: SQLite,
	ItemsDDL: func(t string) string {
		return "CREATE TABLE " + t + " (id INTEGER PRIMARY KEY, data TEXT NOT NULL, score INTEGER NOT NULL, touched_at INTEGER NOT NULL DEFAULT 0)"
	},
	RowValues: true,
	QuoteOpen: `"`, QuoteClose: `"`,
	Embedded:           true,
	UpdatesInPlace:     true,
	NullablePrimaryKey: true,
	BulkForms:          []string{"values", "case", "upsert"},
	Upsert:             onConflict,
	Analyze: func(t string) []string {
		// Empty the write-ahead log filling the table wrote, so that the
		// next run's WAL is its own.
		return []string{"ANALYZE " + t, "PRAGMA wal_checkpoint(TRUNCATE)"}
	},
	// SQLITE_MAX_LENGTH's default.
	MaxValue: 1_000_000_000,
	LockWait: func(wait time.Duration) []string {
		return []string{fmt.Sprintf("PRAGMA busy_timeout = %d", wait.Milliseconds())}
	},
	InsertableQuery: "SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0 ORDER BY cid",
}

// onConflict is the upsert clause of SQLite and PostgreSQL.
func onConflict(key, set []string) string {
	s := " ON CONFLICT (" + joinQuoted(`"`, `"`, key) + ") DO UPDATE SET "
	for i, c := range set {
		if i > 0 {
			s += ", "
		}
		q := quoteWith(`"`, `"`, c)
		s += q + " = excluded." + q
	}
	return s
}
