package strategies

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
)

// SetBasedOnce updates the whole table in one statement, UPDATE ... SET
// <the job's SQL>: the form a person writes first. It is one transaction as
// long as the run: every row it has touched stays locked until it ends, and
// a kill loses all of it.
type SetBasedOnce struct{}

// Name implements Strategy.
func (SetBasedOnce) Name() string { return "set-based-once" }

// Description implements Strategy.
func (SetBasedOnce) Description() string {
	return "one UPDATE ... SET <the calculation in SQL> for the whole table, in one transaction"
}

// InDatabase implements InDatabase.
func (SetBasedOnce) InDatabase() {}

// Supports implements Supporter: the job must give its calculation in the
// database's SQL.
func (SetBasedOnce) Supports(kind database.Kind, j *job.Job) bool { return hasSQL(kind, j) }

// Run implements Strategy.
func (SetBasedOnce) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	t := tracker{cfg: cfg}
	j := cfg.Job
	set, err := setClause(db, j, SetBasedOnce{}.Name())
	if err != nil {
		return t.done(), err
	}
	q := "UPDATE " + database.Quote(database.KindOf(db), j.Table) + " SET " + set
	cond, args := scoped(ctx, db, j, "", nil)
	if cond != "" {
		q += " WHERE " + cond
	}
	var res *gorm.DB
	err = retry(ctx, func() error {
		res = db.WithContext(ctx).Exec(q, args...)
		return res.Error
	})
	if err != nil {
		return t.done(), fmt.Errorf("update every row: %w", err)
	}
	t.writes(1)
	t.add(res.RowsAffected)
	return t.done(), nil
}
