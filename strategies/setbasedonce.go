package strategies

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/database"
	"github.com/iterbench/iterbench/items"
)

// SetBasedOnce updates the whole table in one statement, UPDATE ... SET
// score = <expression over data>: the form a person writes first. It is one
// transaction as long as the run: every row it has touched stays locked
// until it ends, and a kill loses all of it.
type SetBasedOnce struct{}

// Name implements Strategy.
func (SetBasedOnce) Name() string { return "set-based-once" }

// Description implements Strategy.
func (SetBasedOnce) Description() string {
	return "one UPDATE ... SET score = <the calculation in SQL JSON functions> for the whole table, in one transaction"
}

// InDatabase implements InDatabase.
func (SetBasedOnce) InDatabase() {}

// Run implements Strategy.
func (SetBasedOnce) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	expr, err := ScoreSQL(database.KindOf(db))
	if err != nil {
		return t.done(), err
	}
	res := db.WithContext(ctx).Exec("UPDATE " + items.Table + " SET score = " + expr)
	if res.Error != nil {
		return t.done(), fmt.Errorf("update every row: %w", res.Error)
	}
	t.writes(1)
	t.add(res.RowsAffected)
	return t.done(), nil
}
