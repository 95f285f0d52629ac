package database

import (
	"fmt"
	"time"
)

// mariadbFacts is what iterbench knows of MariaDB.
var mariadbFacts = Facts{
	Kind: MariaDB,
	ItemsDDL: func(t string) string {
		return "CREATE TABLE " + t + " (id BIGINT PRIMARY KEY, data JSON NOT NULL, score BIGINT NOT NULL, touched_at BIGINT NOT NULL DEFAULT 0) ENGINE=InnoDB"
	},
	// The optimizer does not use (a, b) > (?, ?) as an index range.
	RowValues: false,
	QuoteOpen: "`", QuoteClose: "`",
	BulkForms: []string{"upsert", "values", "case"},
	Upsert: func(_, set []string) string {
		s := " ON DUPLICATE KEY UPDATE "
		for i, c := range set {
			if i > 0 {
				s += ", "
			}
			q := quoteWith("`", "`", c)
			s += q + " = VALUES(" + q + ")"
		}
		return s
	},
	Analyze: func(t string) []string { return []string{"ANALYZE TABLE " + t} },
	// One row travels in one packet: max_allowed_packet.
	MaxValueQuery: "SELECT @@max_allowed_packet",
	LockWait: func(wait time.Duration) []string {
		s := max(1, int(wait.Round(time.Second).Seconds())) // whole seconds only
		return []string{fmt.Sprintf("SET SESSION innodb_lock_wait_timeout = %d", s),
			fmt.Sprintf("SET SESSION lock_wait_timeout = %d", s)}
	},
	SessionID:       "SELECT CONNECTION_ID()",
	CopyLike:        func(src, dst string) string { return "CREATE TABLE " + dst + " LIKE " + src },
	InsertableQuery: "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND extra NOT LIKE '%GENERATED%' ORDER BY ordinal_position",
}
