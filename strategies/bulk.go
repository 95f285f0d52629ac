package strategies

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/database"
	"github.com/iterbench/iterbench/items"
)

// BulkForm names a form of statement that writes many rows' scores at once.
type BulkForm string

// The bulk-update forms. Not every database offers every form.
const (
	// BulkValues joins the table to a list of (id, score) rows: UPDATE ...
	// FROM (VALUES ...) on SQLite and PostgreSQL, UPDATE ... JOIN (SELECT ...
	// UNION ALL ...) on MariaDB.
	BulkValues BulkForm = "values"
	// BulkCase sets score = CASE id WHEN ... THEN ... END WHERE id IN (...).
	BulkCase BulkForm = "case"
	// BulkUpsert inserts the rows with a conflict clause that updates the
	// score: ON CONFLICT DO UPDATE, or ON DUPLICATE KEY UPDATE on MariaDB.
	BulkUpsert BulkForm = "upsert"
	// BulkUnnest (PostgreSQL only) joins the table to unnest() of two array
	// parameters: two parameters whatever the batch size.
	BulkUnnest BulkForm = "unnest"
)

// BulkForms returns the forms a kind of database offers.
func BulkForms(kind database.Kind) []BulkForm {
	if kind == database.Postgres {
		return []BulkForm{BulkValues, BulkCase, BulkUpsert, BulkUnnest}
	}
	return []BulkForm{BulkValues, BulkCase, BulkUpsert}
}

// DefaultBulkForm returns the form used when none is configured: the fastest
// one measured for the database by BenchmarkBulkForms (20,000 rows of 1 KiB
// in batches of 1000; medians of 5 counts, docs/strategies.md "Bulk-update forms"):
// SQLite values, PostgreSQL unnest, MariaDB upsert.
func DefaultBulkForm(kind database.Kind) BulkForm {
	switch kind {
	case database.Postgres:
		return BulkUnnest
	case database.MariaDB:
		return BulkUpsert
	}
	return BulkValues
}

// ResolveBulkForm returns form, or the database's default when form is
// empty, and fails when the database does not offer it.
func ResolveBulkForm(kind database.Kind, form BulkForm) (BulkForm, error) {
	if form == "" {
		return DefaultBulkForm(kind), nil
	}
	for _, f := range BulkForms(kind) {
		if f == form {
			return form, nil
		}
	}
	return "", fmt.Errorf("bulk form %q is not available on %s", form, kind)
}

// BulkUpdate sets score = scores[i] on the row with id ids[i], for every i,
// in one statement of the given form.
func BulkUpdate(ctx context.Context, db *gorm.DB, form BulkForm, ids, scores []int64) error {
	if len(ids) != len(scores) {
		return fmt.Errorf("bulk update: %d ids but %d scores", len(ids), len(scores))
	}
	if len(ids) == 0 {
		return nil
	}
	query, args, err := bulkStatement(database.KindOf(db), form, ids, scores)
	if err != nil {
		return err
	}
	if err := db.WithContext(ctx).Exec(query, args...).Error; err != nil {
		return fmt.Errorf("bulk update (%s) of rows %d..%d: %w", form, ids[0], ids[len(ids)-1], err)
	}
	return nil
}

// bulkStatement builds the SQL text and arguments for one bulk update.
func bulkStatement(kind database.Kind, form BulkForm, ids, scores []int64) (string, []any, error) {
	n := len(ids)
	var b strings.Builder
	args := make([]any, 0, 2*n)
	// pairs writes first for the first (id, score) pair and rest for each
	// further one, which must bring its own separator.
	pairs := func(first, rest string) {
		for i := range n {
			if i == 0 {
				b.WriteString(first)
			} else {
				b.WriteString(rest)
			}
			args = append(args, ids[i], scores[i])
		}
	}
	t := items.Table
	pg := kind == database.Postgres
	switch {
	case form == BulkValues && kind == database.SQLite:
		b.WriteString("UPDATE " + t + " SET score = v.column2 FROM (VALUES ")
		pairs("(?,?)", ",(?,?)")
		b.WriteString(") AS v WHERE " + t + ".id = v.column1")
	case form == BulkValues && pg:
		b.WriteString("UPDATE " + t + " AS t SET score = v.score FROM (VALUES ")
		pairs("(?::bigint,?::bigint)", ",(?,?)")
		b.WriteString(") AS v(id, score) WHERE t.id = v.id")
	case form == BulkValues && kind == database.MariaDB:
		b.WriteString("UPDATE " + t + " AS t JOIN (")
		pairs("SELECT ? AS id, ? AS score", " UNION ALL SELECT ?,?")
		b.WriteString(") AS v ON t.id = v.id SET t.score = v.score")
	case form == BulkCase:
		cast := ""
		if pg {
			cast = "::bigint"
		}
		b.WriteString("UPDATE " + t + " SET score = CASE id")
		for i := range n {
			b.WriteString(" WHEN ? THEN ?" + cast)
			args = append(args, ids[i], scores[i])
		}
		b.WriteString(" END WHERE id IN (")
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
			args = append(args, ids[i])
		}
		b.WriteByte(')')
	case form == BulkUpsert && (kind == database.SQLite || pg):
		// data is NOT NULL, so the (never taken) insert path needs a value.
		b.WriteString("INSERT INTO " + t + " (id, data, score) VALUES ")
		pairs("(?,'{}',?)", ",(?,'{}',?)")
		b.WriteString(" ON CONFLICT (id) DO UPDATE SET score = excluded.score")
	case form == BulkUpsert && kind == database.MariaDB:
		b.WriteString("INSERT INTO " + t + " (id, data, score) VALUES ")
		pairs("(?,'{}',?)", ",(?,'{}',?)")
		b.WriteString(" ON DUPLICATE KEY UPDATE score = VALUES(score)")
	case form == BulkUnnest && pg:
		b.WriteString("UPDATE " + t + " AS t SET score = v.score FROM unnest(?::bigint[], ?::bigint[]) AS v(id, score) WHERE t.id = v.id")
		args = append(args, int64Array(ids), int64Array(scores))
	default:
		return "", nil, fmt.Errorf("bulk form %q is not available on %s", form, kind)
	}
	return b.String(), args, nil
}

// int64Array is passed to PostgreSQL as one array parameter in its text
// form; as a driver.Valuer it is not expanded into a list by GORM.
type int64Array []int64

// Value implements driver.Valuer.
func (a int64Array) Value() (driver.Value, error) {
	b := make([]byte, 0, 8*len(a)+2)
	b = append(b, '{')
	for i, v := range a {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, v, 10)
	}
	return string(append(b, '}')), nil
}
