package database

import (
	"fmt"
	"time"
)

// postgresFacts is what iterbench knows of PostgreSQL.
var postgresFacts = Facts{
	Kind: Postgres,
	ItemsDDL: func(t string) string {
		return "CREATE TABLE " + t + " (id bigint PRIMARY KEY, data jsonb NOT NULL, score bigint NOT NULL, touched_at bigint NOT NULL DEFAULT 0)"
	},
	RowValues: true,
	QuoteOpen: `"`, QuoteClose: `"`,
	Dollar:    true,
	BulkForms: []string{"unnest", "values", "case", "upsert"},
	Upsert:    onConflict,
	Analyze: func(t string) []string {
		// Vacuumed too, so that every run finds the visibility map and
		// hint bits set rather than setting them on its first read.
		return []string{"VACUUM (ANALYZE) " + t}
	},
	// Write the filled pages out now, so that the checkpointer does not
	// do it during the next run (or the idle probe). It needs the
	// pg_checkpoint role or a superuser; without, the run goes on.
	Settle:   []string{"CHECKPOINT"},
	CopyFrom: true,
	// jsonb's limit (255 MiB).
	MaxValue: 1<<28 - 1,
	LockWait: func(wait time.Duration) []string {
		return []string{fmt.Sprintf("SET lock_timeout = '%dms'", wait.Milliseconds())}
	},
	SessionID:             "SELECT pg_backend_pid()",
	CopyLike:              func(src, dst string) string { return "CREATE TABLE " + dst + " (LIKE " + src + " INCLUDING ALL)" },
	OverridingSystemValue: true,
	InsertableQuery:       "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND is_generated = 'NEVER' ORDER BY ordinal_position",
}
