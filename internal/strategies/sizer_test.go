package strategies_test

import (
	"context"
	"testing"
	"time"

	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/strategies"
)

// TestAdaptiveConverges feeds batches that take 1 ms a row: the size must
// grow by at most ×1.5 a batch and settle near the target's 500 rows.
func TestAdaptiveConverges(t *testing.T) {
	s := strategies.Adaptive{Target: 500 * time.Millisecond, StartRows: 20}.NewSizer()
	prev := s.Next()
	for i := range 40 {
		n := s.Next()
		if n > prev*3/2+1 {
			t.Fatalf("batch %d: size %d after %d grew more than ×1.5", i, n, prev)
		}
		prev = n
		s.Done(n, int64(n)*100, time.Duration(n)*time.Millisecond)
	}
	if n := s.Next(); n < 450 || n > 550 {
		t.Errorf("settled at %d rows, want about 500 (500 ms at 1 ms a row)", n)
	}
}

// TestAdaptiveGuards checks the cut after a batch far over the target, the
// byte budget, the bounds, and halving on a timeout down to the minimum.
func TestAdaptiveGuards(t *testing.T) {
	s := strategies.Adaptive{Target: 100 * time.Millisecond, StartRows: 1000, MinRows: 10, MaxRows: 5000}.NewSizer()
	s.Done(1000, 1000, 600*time.Millisecond) // over 5 × the target
	if n := s.Next(); n != 100 {
		t.Errorf("after a batch 6× the target: %d rows, want a tenth, 100", n)
	}
	b := strategies.Adaptive{Target: time.Second, StartRows: 1000, MaxBytes: 16 << 20}.NewSizer()
	b.Done(1000, 1000<<20, 10*time.Millisecond) // 1 MiB rows, fast
	if n := b.Next(); n > 16 {
		t.Errorf("rows of 1 MiB under a 16 MiB budget: %d rows", n)
	}
	m := strategies.Adaptive{Target: time.Second, StartRows: 4000, MaxRows: 5000}.NewSizer()
	for range 10 {
		m.Done(m.Next(), 0, time.Millisecond)
	}
	if n := m.Next(); n != 5000 {
		t.Errorf("fast batches: %d rows, want the maximum 5000", n)
	}
	h := strategies.Adaptive{StartRows: 80, MinRows: 10}.NewSizer()
	for _, want := range []int{40, 20, 10} {
		if !h.Failed() || h.Next() != want {
			t.Fatalf("after a timeout: %d rows, want %d", h.Next(), want)
		}
	}
	if h.Failed() {
		t.Error("a timeout at the minimum size is retried")
	}
}

// TestBatchesRecorded runs keyset-bulk and keyset-adaptive on 3,000 rows:
// both record their batches; keyset-bulk's are all the batch size, and
// keyset-adaptive's, aiming at 2 ms a batch from 1,000 rows, change size.
func TestBatchesRecorded(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	if _, err := seed.Seed(ctx, db, seed.Config{Rows: 3000, Payload: 300, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	st, err := strategies.KeysetBulk{}.Run(ctx, db, strategies.Config{Job: itemsJob(t), BatchSize: 500})
	if b := st.Batches; err != nil || b == nil || b.Count != 6 || b.RowsMin != 500 || b.RowsMax != 500 || b.SecondsP50 <= 0 || b.SecondsP99 < b.SecondsP50 {
		t.Errorf("keyset-bulk: %+v, %v", st.Batches, err)
	}
	if _, err := seed.Seed(ctx, db, seed.Config{Rows: 3000, Payload: 300, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	st, err = strategies.KeysetAdaptive{}.Run(ctx, db, strategies.Config{Job: itemsJob(t), BatchSize: 1000, BatchTarget: 2 * time.Millisecond})
	if b := st.Batches; err != nil || b == nil || b.RowsMax == b.RowsMin || st.Rows != 3000 {
		t.Errorf("keyset-adaptive: %+v rows, batches %+v, %v", st.Rows, st.Batches, err)
	}
	if v, err := seed.Verify(ctx, db, seed.Config{Seed: 5, Payload: 300}); err != nil || v.Wrong != 0 {
		t.Errorf("after keyset-adaptive: %+v, %v", v, err)
	}
}
