package bench

import (
	"context"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/worker"
)

// Sweep runs the benchmark at each row count in sizes, in turn, and hands
// each size's results to each as soon as they are complete, so that a
// stopped sweep keeps what it measured. It returns the first error of Run
// (ErrInterrupted included) or of each.
func Sweep(ctx context.Context, db *gorm.DB, cfg Config, sizes []int, l worker.Launcher, p Progress,
	each func(*summary.Summary, []summary.SampleRow) error) error {
	for _, n := range sizes {
		c := cfg
		c.Rows = n
		s, samples, err := Run(ctx, db, c, l, p)
		if s != nil && len(s.Runs) > 0 {
			if werr := each(s, samples); werr != nil {
				return werr
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}
