package strategies

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/iterbench/iterbench/internal/database"
)

// MaxAttempts is how many times in all a write aborted for a conflict with
// another transaction is tried.
const MaxAttempts = 10

// Pauses between the attempts of a write: doubling from firstPause, at most
// maxPause.
const (
	firstPause = 5 * time.Millisecond
	maxPause   = time.Second
)

type retriesKey struct{}

// CountRetries returns ctx carrying a counter of the retries the
// strategies' writes make under it, and the counter.
func CountRetries(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, retriesKey{}, n), n
}

// retry runs write, and again while it fails for a conflict with another
// transaction (database.Conflict), up to MaxAttempts times in all: a
// deadlock, or on Galera a transaction that failed certification or that a
// writeset replicated from another node aborted. Production backfill tools
// retry such a chunk (gh-ost, pt-online-schema-change). write must be one
// transaction or one statement, so that a failed attempt left nothing
// written. Each retry is counted in ctx's counter (CountRetries).
func retry(ctx context.Context, write func() error) error {
	pause := firstPause
	for attempt := 1; ; attempt++ {
		err := write()
		if err == nil || !database.Conflict(err) || ctx.Err() != nil {
			return err
		}
		if attempt == MaxAttempts {
			return fmt.Errorf("%w (aborted for a conflict %d times in a row)", err, attempt)
		}
		if n, ok := ctx.Value(retriesKey{}).(*atomic.Int64); ok {
			n.Add(1)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
		pause = min(2*pause, maxPause)
	}
}
