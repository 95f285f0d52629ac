package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/summary"
)

// TestKillAtResumes kills each worker once it reports half the rows and
// starts it again: the resumable strategies continue where their recorded
// progress says and redo at most one batch; the others redo every row done
// before the kill. Every run ends with every row correct.
func TestKillAtResumes(t *testing.T) {
	db, cfg := sqliteConfig(t, 20000)
	cfg.Batch, cfg.KillAt = 500, 0.5
	ctx := context.Background()
	if _, err := seed.Seed(ctx, db, seed.Config{Rows: cfg.Rows, Payload: cfg.Payload, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	l := testLauncher(t)
	for _, c := range []struct {
		strategy  string
		resumable bool
	}{{"keyset-bulk", true}, {"set-based", true}, {"parallel-keyset", true}, {"cursor", false}} {
		t.Run("strategy="+c.strategy, func(t *testing.T) {
			run, err := measureResume(ctx, db, l, cfg, c.strategy, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			res := run.Resume
			t.Logf("%s: %+v", run.Status, *res)
			if run.Status != summary.StatusOK || run.WrongRows != 0 || run.RowsVerified != int64(cfg.Rows) {
				t.Fatalf("status %s (%s), %d of %d rows wrong", run.Status, run.Error, run.WrongRows, run.RowsVerified)
			}
			if res.Note != "" || res.DoneAtKill < res.KillAtRows || res.DoneAtKill >= int64(cfg.Rows) || res.SecondSeconds <= 0 {
				t.Fatalf("the kill did not land partway: %+v", *res)
			}
			// What the second worker found recorded when it started: the
			// resumable strategies' progress, nothing for the others.
			if res.Resumed != c.resumable || (len(res.ResumedFrom) > 0) != c.resumable {
				t.Errorf("resumed %v from %v, want resumed %v", res.Resumed, res.ResumedFrom, c.resumable)
			}
			// keyset-bulk and set-based record one key, the last key of the
			// last batch committed: with ids 1..N, the rows the table held
			// done at the kill (counted by the parent, not reported).
			if last, ok := res.ResumedFrom["items/"+c.strategy]; ok && string(last) != fmt.Sprintf("[%d]", res.DoneAtKill) {
				t.Errorf("resumed from key %s, but %d rows were done at the kill", last, res.DoneAtKill)
			}
			if c.resumable && res.RowsRedone > int64(cfg.Batch) {
				t.Errorf("redid %d rows, more than one batch (%d)", res.RowsRedone, cfg.Batch)
			}
			if !c.resumable && res.RowsRedone != res.DoneAtKill {
				t.Errorf("redid %d rows, want the %d done before the kill", res.RowsRedone, res.DoneAtKill)
			}
		})
	}
}
