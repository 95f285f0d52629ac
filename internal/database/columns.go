package database

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// Column is what a table says of one of its columns.
type Column struct {
	// Name is the column's name.
	Name string
	// Type is the database's name of its type, as a cast names it
	// (PostgreSQL: int8, text, jsonb, uuid…).
	Type string
	// Nullable is set when the column allows NULL.
	Nullable bool
	// HasDefault is set when the column has a default value.
	HasDefault bool
	// PrimaryKey is set when the column is part of the primary key.
	PrimaryKey bool
	// Generated is set when the database computes the column itself: a
	// generated column, or an identity column on PostgreSQL.
	Generated bool
}

// Columns returns the columns of table, by name.
func Columns(ctx context.Context, db *gorm.DB, table string) (map[string]Column, error) {
	types, err := db.WithContext(ctx).Migrator().ColumnTypes(table)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	if len(types) == 0 {
		return nil, fmt.Errorf("read the columns of %s: no such table", table)
	}
	out := make(map[string]Column, len(types))
	for _, t := range types {
		c := Column{Name: t.Name(), Type: strings.ToLower(t.DatabaseTypeName())}
		c.Nullable, _ = t.Nullable()
		_, c.HasDefault = t.DefaultValue()
		c.PrimaryKey, _ = t.PrimaryKey()
		out[c.Name] = c
	}
	ins, err := Insertable(ctx, db, table)
	if err != nil {
		return nil, err
	}
	var identity []string
	if KindOf(db) == Postgres {
		if err := db.WithContext(ctx).Raw("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND is_identity = 'YES'", table).
			Scan(&identity).Error; err != nil {
			return nil, fmt.Errorf("read the columns of %s: %w", table, err)
		}
	}
	for name, c := range out {
		c.Generated = !slices.Contains(ins, name) || slices.Contains(identity, name)
		out[name] = c
	}
	if KindOf(db) == SQLite {
		// A table's only primary-key column declared INTEGER is the rowid,
		// which cannot be NULL, whatever the declaration says.
		var info []struct {
			Name string
			Type string
			PK   int
		}
		if err := db.WithContext(ctx).Raw("SELECT name, type, pk FROM pragma_table_info(?)", table).Scan(&info).Error; err != nil {
			return nil, fmt.Errorf("read the columns of %s: %w", table, err)
		}
		pks := 0
		for _, i := range info {
			if i.PK > 0 {
				pks++
			}
		}
		for _, i := range info {
			if i.PK > 0 && pks == 1 && strings.EqualFold(i.Type, "integer") {
				c := out[i.Name]
				c.Nullable = false
				out[i.Name] = c
			}
		}
	}
	return out, nil
}

// Filler returns a literal that an INSERT may give column c when the row's
// own value is not at hand (an upsert whose insert is never taken still
// needs a value for every NOT NULL column without a default): 0 for
// numbers, ” for text, '{}' for JSON (and MariaDB's longtext, which its
// JSON type is), false for booleans; ok is false for other types. A CHECK
// constraint the filler breaks still fails the statement.
func (c Column) Filler() (lit string, ok bool) {
	t := c.Type
	if i := strings.IndexByte(t, '('); i >= 0 {
		t = strings.TrimSpace(t[:i])
	}
	switch t {
	case "int", "integer", "int2", "int4", "int8", "smallint", "bigint", "tinyint", "mediumint",
		"numeric", "decimal", "float", "float4", "float8", "double", "double precision", "real":
		return "0", true
	case "json", "jsonb", "longtext":
		return "'{}'", true
	case "text", "varchar", "char", "character", "character varying", "bpchar", "mediumtext", "tinytext", "clob":
		return "''", true
	case "bool", "boolean":
		return "false", true
	}
	return "", false
}
