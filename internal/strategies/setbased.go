package strategies

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
)

// SetBased lets the database compute the written columns itself, with the
// job's SQL: UPDATE ... SET <the job's SQL> WHERE key in a range of
// BatchSize rows, the range's end found by a query, so that no row travels
// to the client, recording each range's end in the same transaction so
// that it can resume. It is the throughput limit for a calculation that can
// be written in SQL, in batches.
type SetBased struct{}

// Name implements Strategy.
func (SetBased) Name() string { return "set-based" }

// Description implements Strategy.
func (SetBased) Description() string {
	return "UPDATE ... SET <the calculation in SQL> WHERE key in a range of n rows, no row sent to the client"
}

// Supports implements Supporter: the job must give its calculation in the
// database's SQL.
func (SetBased) Supports(kind database.Kind, j *job.Job) bool { return hasSQL(kind, j) }

// hasSQL reports whether j gives its calculation in kind's SQL (any job:
// nil).
func hasSQL(kind database.Kind, j *job.Job) bool {
	if j == nil {
		return true
	}
	_, ok := j.SQL[kind]
	return ok
}

// setClause returns j's SET clause for db's database.
func setClause(db *gorm.DB, j *job.Job, strategy string) (string, error) {
	kind := database.KindOf(db)
	set, ok := j.SQL[kind]
	if !ok {
		return "", fmt.Errorf("%s: job %s gives no SQL for %s", strategy, j.Name, kind)
	}
	return set, nil
}

// scoped adds to the condition cond, when j has a Scope, that the row's key
// is one of the scope's, and returns the argument that subquery takes.
func scoped(ctx context.Context, db *gorm.DB, j *job.Job, cond string, args []any) (string, []any) {
	if j.Scope == nil {
		return cond, args
	}
	in := "(" + j.KeyColumns(db) + ") IN (SELECT * FROM (?) AS iterbench_scope)"
	if cond != "" {
		in = cond + " AND " + in
	}
	return in, append(args, j.Query(ctx, db).Select(j.KeyColumns(db)))
}

// Run implements Strategy.
func (s SetBased) Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	return s.Loop(ctx, db, cfg, Batches{})
}

// Remaining implements Resumable.
func (s SetBased) Remaining(ctx context.Context, db *gorm.DB, cfg Config, b Batches) (int64, bool, error) {
	return remaining(ctx, db, cfg, cmp.Or(b.Name, s.Name()))
}

// Loop implements Resumable: each range holds the rows b.Sizer asks for.
// The last range (fewer rows than asked) is not recorded: a run after it
// does it again.
func (s SetBased) Loop(ctx context.Context, db *gorm.DB, cfg Config, b Batches) (Stats, error) {
	b = b.named(s.Name(), cfg)
	t := tracker{cfg: cfg, batches: &BatchStats{}}
	j := cfg.Job
	set, err := setClause(db, j, s.Name())
	if err != nil {
		return t.done(), err
	}
	gt, gtArgs, err := keyBound(db, j, ">")
	if err != nil {
		return t.done(), err
	}
	le, leArgs, _ := keyBound(db, j, "<=")
	after, err := loadProgress(ctx, db, cfg, b.Name)
	if err != nil {
		return t.done(), err
	}
	progress := progressName(j, b.Name)
	err = batchLoop(ctx, b, &t, func(work context.Context, size int) (batchResult, error) {
		upTo, err := keyAt(work, db, j, after, int64(size-1))
		if err != nil {
			return batchResult{}, err
		}
		t.reads(1)
		var conds []string
		var args []any
		if after != nil {
			conds, args = append(conds, gt), append(args, gtArgs(after)...)
		}
		if upTo != nil {
			conds, args = append(conds, le), append(args, leArgs(upTo)...)
		}
		cond, args := scoped(work, db, j, strings.Join(conds, " AND "), args)
		q := "UPDATE " + database.Quote(database.KindOf(db), j.Table) + " SET " + set
		if cond != "" {
			q += " WHERE " + cond
		}
		var rows int64
		write := func(tx *gorm.DB) error {
			res := tx.Exec(q, args...)
			rows = res.RowsAffected
			return res.Error
		}
		if upTo != nil {
			err = withProgress(work, db, progress, upTo, write)
		} else {
			err = retry(work, func() error { return db.WithContext(work).Transaction(write) })
		}
		if err != nil {
			return batchResult{}, fmt.Errorf("update keys after %v up to %v: %w", after, upTo, err)
		}
		t.writes(1)
		r := batchResult{rows: int(rows), last: upTo, end: upTo == nil}
		if upTo != nil {
			// What the sizer learns from: the range held size rows, whatever
			// the database counts as affected.
			r.span = size
		}
		after = upTo
		return r, nil
	})
	return t.done(), err
}
