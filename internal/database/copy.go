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
	kind := KindOf(db)
	qs, qd := Quote(kind, src), Quote(kind, dst)
	f, err := FactsOf(kind)
	if err != nil {
		return fmt.Errorf("copy a table: %w", err)
	}
	switch {
	case f.CopyLike != nil:
		stmts = []string{f.CopyLike(qs, qd)}
	default:
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
				stmts = append([]string{renameTable.ReplaceAllString(d.SQL, "${1}"+qd+" ")}, stmts...)
			case "index":
				s := renameIndex.ReplaceAllString(d.SQL, "${1}"+Quote(kind, dst+"_"+d.Name)+" ON "+qd)
				stmts = append(stmts, s)
			}
		}
		if len(stmts) == 0 || !strings.Contains(stmts[0], qd) {
			return fmt.Errorf("copy the definition of %s: no CREATE TABLE found", src)
		}
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

// Insertable returns the columns of table a copy of its rows can be
// inserted into, in their order: all but the generated ones (PostgreSQL's
// GENERATED … STORED, MariaDB's VIRTUAL and STORED, SQLite's hidden and
// generated columns). On PostgreSQL an identity column GENERATED ALWAYS is
// insertable with OVERRIDING SYSTEM VALUE (see InsertCopy).
func Insertable(ctx context.Context, db *gorm.DB, table string) ([]string, error) {
	f, err := FactsOf(KindOf(db))
	if err != nil {
		return nil, err
	}
	q := f.InsertableQuery
	var cols []string
	if err := db.WithContext(ctx).Raw(q, table).Scan(&cols).Error; err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("read the columns of %s: no such table", table)
	}
	return cols, nil
}

// InsertCopy returns the statement that copies the rows of src into dst
// (made by CreateLike) in the order orderBy, the first limit rows (0: all).
func InsertCopy(kind Kind, src, dst string, cols []string, orderBy string, limit int) string {
	list := strings.Join(QuoteAll(kind, cols), ", ")
	q := "INSERT INTO " + Quote(kind, dst) + " (" + list + ") "
	if facts(kind).OverridingSystemValue {
		q += "OVERRIDING SYSTEM VALUE "
	}
	q += "SELECT " + list + " FROM " + Quote(kind, src) + " ORDER BY " + orderBy
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	return q
}
