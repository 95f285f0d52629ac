package strategies

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/database"
	"github.com/iterbench/iterbench/items"
)

// SetBased lets the database compute the score from the JSON itself:
// UPDATE ... SET score = <expression over data>, one statement per id range
// of BatchSize, so that no row travels to the client, recording each
// range's end in the same transaction so that it can resume. It is the
// throughput limit for a calculation that can be written in SQL, in
// batches.
type SetBased struct{}

// Name implements Strategy.
func (SetBased) Name() string { return "set-based" }

// Description implements Strategy.
func (SetBased) Description() string {
	return "UPDATE ... SET score = <the calculation in SQL JSON functions> WHERE id in a range of n, no row sent to the client"
}

// Run implements Strategy.
func (SetBased) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	expr, err := ScoreSQL(database.KindOf(db))
	if err != nil {
		return t.done(), err
	}
	lo, hi, err := idRange(ctx, db)
	if err != nil {
		return t.done(), err
	}
	t.reads(1)
	key := SetBased{}.Name()
	last, err := loadProgress(ctx, db, cfg, key)
	if err != nil {
		return t.done(), err
	}
	q := "UPDATE " + items.Table + " SET score = " + expr + " WHERE id >= ? AND id < ?"
	n := int64(cfg.batch())
	for from := max(lo, last+1); from <= hi; from += n {
		var rows int64
		err := withProgress(ctx, db, key, from+n-1, func(tx *gorm.DB) error {
			res := tx.Exec(q, from, from+n)
			rows = res.RowsAffected
			return res.Error
		})
		if err != nil {
			return t.done(), fmt.Errorf("update ids %d..%d: %w", from, from+n-1, err)
		}
		t.writes(1)
		t.add(rows)
	}
	return t.done(), nil
}

// ScoreSQL returns items.Doc.Score written in a database's JSON functions,
// over the column data.
func ScoreSQL(kind database.Kind) (string, error) {
	var field func(path string) string
	var tags string
	switch kind {
	case database.SQLite:
		field = func(path string) string { return "json_extract(data, '$." + path + "')" }
		tags = "json_array_length(data, '$.tags')"
	case database.Postgres:
		field = func(path string) string {
			switch path {
			case "tier":
				return "(data->>'tier')::bigint"
			case "user.age":
				return "(data->'user'->>'age')::bigint"
			}
			return "(data->'metrics'->>'" + path[len("metrics."):] + "')::bigint"
		}
		tags = "jsonb_array_length(data->'tags')"
	case database.MariaDB:
		field = func(path string) string { return "CAST(JSON_VALUE(data, '$." + path + "') AS SIGNED)" }
		tags = "JSON_LENGTH(data, '$.tags')"
	default:
		return "", fmt.Errorf("set-based: no JSON functions known for %s", kind)
	}
	return fmt.Sprintf("1 + 3*%s + 7*%s + 2*%s + 5*%s + 11*%s + %s + 100*%s",
		field("metrics.views"), field("metrics.clicks"), field("metrics.likes"), field("metrics.shares"),
		tags, field("user.age"), field("tier")), nil
}
