package database

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"gorm.io/gorm"
)

// CreateLike creates the empty table dst with src's columns, key and
// indexes: CREATE TABLE dst (LIKE src INCLUDING ALL) on PostgreSQL, CREATE
// TABLE dst LIKE src on MariaDB, and on SQLite src's own CREATE statements
// (table and indexes) with the names changed. An index on a written column
// matters: on PostgreSQL it rules out HOT updates.
func CreateLike(ctx context.Context, db *gorm.DB, src, dst string) error {
	db = db.WithContext(ctx)
	var stmts []string
	switch KindOf(db) {
	case Postgres:
		stmts = []string{"CREATE TABLE " + dst + " (LIKE " + src + " INCLUDING ALL)"}
	case MariaDB:
		stmts = []string{"CREATE TABLE " + dst + " LIKE " + src}
	case SQLite:
		var ddl []struct {
			Type string
			Name string
			SQL  string
		}
		if err := db.Raw("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type DESC", src).
			Scan(&ddl).Error; err != nil {
			return fmt.Errorf("read the definition of %s: %w", src, err)
		}
		for _, d := range ddl {
			switch d.Type {
			case "table":
				stmts = append([]string{renameTable.ReplaceAllString(d.SQL, "${1}"+dst+" ")}, stmts...)
			case "index":
				s := renameIndex.ReplaceAllString(d.SQL, "${1}"+dst+"_"+d.Name+" ON "+dst)
				stmts = append(stmts, s)
			}
		}
		if len(stmts) == 0 || !strings.Contains(stmts[0], dst) {
			return fmt.Errorf("copy the definition of %s: no CREATE TABLE found", src)
		}
	default:
		return fmt.Errorf("copy a table: unsupported database %q", KindOf(db))
	}
	for _, s := range stmts {
		if err := db.Exec(s).Error; err != nil {
			return fmt.Errorf("create %s like %s: %w", dst, src, err)
		}
	}
	return nil
}

// renameTable and renameIndex match the name in SQLite's CREATE TABLE and
// CREATE INDEX statements (quoted or not).
var (
	renameTable = regexp.MustCompile(`(?is)^(\s*CREATE\s+TABLE\s+)("[^"]+"|` + "`[^`]+`" + `|\[[^\]]+\]|[^\s(]+)\s*`)
	renameIndex = regexp.MustCompile(`(?is)^(\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+)(?:IF\s+NOT\s+EXISTS\s+)?("[^"]+"|` + "`[^`]+`" + `|\S+)\s+ON\s+("[^"]+"|` + "`[^`]+`" + `|[^\s(]+)`)
)
