package strategies

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestRetry: a write aborted for a conflict is tried again, and counted;
// any other error is returned at once; a conflict every time gives up after
// MaxAttempts and says so.
func TestRetry(t *testing.T) {
	conflict := &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock"}
	ctx, n := CountRetries(context.Background())
	calls := 0
	err := retry(ctx, func() error {
		calls++
		if calls < 3 {
			return conflict
		}
		return nil
	})
	if err != nil || calls != 3 || n.Load() != 2 {
		t.Errorf("err %v after %d calls, %d retries counted; want nil after 3, 2", err, calls, n.Load())
	}
	calls = 0
	other := errors.New("duplicate key")
	if err := retry(ctx, func() error { calls++; return other }); err != other || calls != 1 {
		t.Errorf("another error: %v after %d calls, want it after 1", err, calls)
	}
	calls = 0
	pg := &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
	err = retry(context.Background(), func() error { calls++; return pg })
	if calls != MaxAttempts || !errors.Is(err, pg) || !strings.Contains(err.Error(), "aborted for a conflict 10 times in a row") {
		t.Errorf("always a conflict: %v after %d calls, want the conflict, said, after %d", err, calls, MaxAttempts)
	}
}
