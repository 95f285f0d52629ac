package database

import (
	"context"
	"fmt"
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
// numbers, '{}' for text and JSON (a valid document and a valid string),
// false for booleans; ok is false for other types.
func (c Column) Filler() (lit string, ok bool) {
	t := c.Type
	switch {
	case strings.Contains(t, "int"), strings.Contains(t, "numeric"), strings.Contains(t, "decimal"),
		strings.Contains(t, "float"), strings.Contains(t, "double"), strings.Contains(t, "real"):
		return "0", true
	case strings.Contains(t, "char"), strings.Contains(t, "text"), strings.Contains(t, "json"),
		t == "longtext", t == "clob":
		return "'{}'", true
	case strings.Contains(t, "bool"):
		return "false", true
	}
	return "", false
}
