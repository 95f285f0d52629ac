package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/items"
	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/strategies"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/worker"
	"github.com/iterbench/iterbench/internal/worker/workertest"
)

// TestMain builds the worker binary the tests run.
func TestMain(m *testing.M) { os.Exit(workertest.Main(m)) }

// testLauncher returns a launcher of local workers, closed with the test.
func testLauncher(t testing.TB) worker.Launcher {
	bin, err := worker.Find(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return localLauncher(t, bin)
}

// localLauncher returns a launcher of the worker binary bin, closed with
// the test.
func localLauncher(t testing.TB, bin string) worker.Launcher {
	t.Helper()
	l, err := worker.NewLocal(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func sqliteConfig(t testing.TB, rows int) (*gorm.DB, Config) {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "bench.db")
	db, err := database.Open(context.Background(), database.SQLite, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(db) })
	return db, Config{Kind: database.SQLite, DSN: dsn, Rows: rows, Batch: 100, Payload: 512, DataSeed: 1,
		Repeats: 1, Interval: 5 * time.Millisecond, ShuffleSeed: 9}
}

func TestMeasure(t *testing.T) {
	db, cfg := sqliteConfig(t, 1500)
	ctx := context.Background()
	if _, err := seed.Seed(ctx, db, seed.Config{Rows: cfg.Rows, Payload: cfg.Payload, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	var progress []int64
	run, samples, _ := Measure(ctx, db, testLauncher(t), cfg, "cursor-bulk", func(n int64) { progress = append(progress, n) })
	if run.Status != summary.StatusOK || run.Error != "" {
		t.Fatalf("status %s: %s", run.Status, run.Error)
	}
	if run.Rows != 1500 || run.RowsVerified != 1500 || run.WrongRows != 0 {
		t.Errorf("rows %d, verified %d, wrong %d", run.Rows, run.RowsVerified, run.WrongRows)
	}
	if run.Writes != 15 {
		t.Errorf("writes = %d, want 15 bulk statements of 100 rows", run.Writes)
	}
	if len(samples) == 0 || run.Samples != len(samples) || run.PeakRSSBytes == 0 {
		t.Errorf("%d samples, peak %d", len(samples), run.PeakRSSBytes)
	}
	if run.KernelMaxRSSBytes < run.PeakRSSBytes {
		t.Errorf("VmHWM %d is below the sampled peak %d", run.KernelMaxRSSBytes, run.PeakRSSBytes)
	}
	if run.DurationSeconds <= 0 || run.WallSeconds < run.DurationSeconds {
		t.Errorf("duration %v, wall %v", run.DurationSeconds, run.WallSeconds)
	}
	if run.ResetSeconds <= 0 || run.VerifySeconds <= 0 {
		t.Errorf("the parent's own work around the run: reset %v s, verification %v s", run.ResetSeconds, run.VerifySeconds)
	}
	// The worker's CPU time while its strategy ran (SQLite's work in it):
	// some, and no more than its cores could give in the time.
	if run.CPUSeconds <= 0 || run.CPUSeconds > run.DurationSeconds*float64(runtime.NumCPU())+0.05 {
		t.Errorf("worker CPU %v s in %v s", run.CPUSeconds, run.DurationSeconds)
	}
	if len(progress) == 0 || progress[len(progress)-1] != 1500 {
		t.Errorf("progress reports %v, want them to end at 1500", progress)
	}
}

func TestMeasureRecordsFailures(t *testing.T) {
	db, cfg := sqliteConfig(t, 50)
	ctx := context.Background()
	if _, err := seed.Seed(ctx, db, seed.Config{Rows: cfg.Rows, Payload: cfg.Payload, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	run, _, _ := Measure(ctx, db, testLauncher(t), cfg, "no-such-strategy", nil)
	if run.Status != summary.StatusError || run.WrongRows != 50 {
		t.Errorf("unknown strategy: status %s, wrong rows %d, error %q", run.Status, run.WrongRows, run.Error)
	}

	// A worker that cannot open its database.
	bad := cfg
	bad.DSN = filepath.Join(t.TempDir(), "missing-dir", "x.db")
	run, _, _ = Measure(ctx, db, testLauncher(t), bad, "cursor", nil)
	if run.Status != summary.StatusError || run.Error == "" {
		t.Errorf("bad DSN: status %s, error %q", run.Status, run.Error)
	}

	// Rows missing after the run count as an error even if the strategy
	// itself succeeded.
	short := cfg
	short.Rows = 60
	run, _, _ = Measure(ctx, db, testLauncher(t), short, "cursor", nil)
	if run.Status != summary.StatusError || run.WrongRows != 0 {
		t.Errorf("row count mismatch: status %s, wrong %d, error %q", run.Status, run.WrongRows, run.Error)
	}
}

func TestMeasureInterrupted(t *testing.T) {
	db, cfg := sqliteConfig(t, 20000)
	if _, err := seed.Seed(context.Background(), db, seed.Config{Rows: cfg.Rows, Payload: cfg.Payload, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var once bool
	start := time.Now()
	run, _, _ := Measure(ctx, db, testLauncher(t), cfg, "cursor", func(int64) {
		if !once {
			once = true
			cancel()
		}
	})
	if run.Status != summary.StatusInterrupted {
		t.Errorf("status %s (%s), want interrupted", run.Status, run.Error)
	}
	if run.Rows >= int64(cfg.Rows) {
		t.Errorf("the interrupted worker reports all %d rows done", run.Rows)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("stopping the worker took %v", d)
	}
}

func TestRun(t *testing.T) {
	db, cfg := sqliteConfig(t, 700)
	cfg.Repeats = 2
	cfg.Strategies = []strategies.Strategy{strategies.LoadAll{}, strategies.PagingBulk{}}
	s, samples, err := Run(context.Background(), db, cfg, testLauncher(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Complete || len(s.Runs) != 4 || len(s.Strategies) != 2 {
		t.Fatalf("complete %v, %d runs, %d strategies", s.Complete, len(s.Runs), len(s.Strategies))
	}
	for i, r := range s.Runs {
		if r.Status != summary.StatusOK || r.WrongRows != 0 || r.RowsVerified != 700 {
			t.Errorf("%s repeat %d: %s, %d wrong of %d: %s", r.Strategy, r.Repeat, r.Status, r.WrongRows, r.RowsVerified, r.Error)
		}
		// On SQLite each verification resets the table for the next run.
		if r.ResetNext != true || (r.ResetSeconds > 0) != (i == 0) {
			t.Errorf("run %d: reset with the verification %v, a reset of its own %v s", i+1, r.ResetNext, r.ResetSeconds)
		}
	}
	if s.BaselinePeakRSSBytes == 0 || s.BaselineKernelMaxRSSBytes == 0 || s.SeedSeconds <= 0 {
		t.Errorf("baseline %d/%d, seed %v", s.BaselinePeakRSSBytes, s.BaselineKernelMaxRSSBytes, s.SeedSeconds)
	}
	if s.Config.DatabaseVersion == "" || s.Config.BulkForm != "values" || s.Config.ShuffleSeed != 9 {
		t.Errorf("config %+v", s.Config)
	}
	seen := map[string]bool{}
	for _, x := range samples {
		seen[x.Strategy+strconv.Itoa(x.Repeat)] = true
	}
	if len(seen) != 4 {
		t.Errorf("samples cover %d runs, want 4", len(seen))
	}
}

// TestSequentialRepeats: every strategy runs MinRepeats times, then only
// those Decide names, each time it is asked, up to Repeats; a Decide that
// names none ends the runs.
func TestSequentialRepeats(t *testing.T) {
	db, cfg := sqliteConfig(t, 300)
	cfg.Repeats, cfg.MinRepeats = 4, 2
	cfg.Strategies = []strategies.Strategy{strategies.CursorBulk{}, strategies.PagingBulk{}, strategies.KeysetBulk{}}
	var asked []int
	cfg.Decide = func(s *summary.Summary, _ []summary.SampleRow) []string {
		asked = append(asked, len(s.Runs))
		if s.Strategies[0].Runs == 0 || len(s.Strategies) != 3 {
			t.Errorf("Decide sees strategies %+v", s.Strategies)
		}
		if len(s.Runs) >= 8 {
			return nil // called
		}
		return []string{"keyset-bulk", "paging-bulk"}
	}
	s, _, err := Run(context.Background(), db, cfg, testLauncher(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	runs := map[string]int{}
	for _, r := range s.Runs {
		runs[r.Strategy]++
	}
	// 2 × 3, then keyset-bulk and paging-bulk once more (8), then none.
	if fmt.Sprint(asked) != "[6 8]" || runs["cursor-bulk"] != 2 || runs["keyset-bulk"] != 3 || runs["paging-bulk"] != 3 {
		t.Errorf("Decide asked at %v runs; runs %v", asked, runs)
	}
	if !s.Complete || s.Config.MinRepeats != 2 || s.Config.Repeats != 4 {
		t.Errorf("complete %v, repeats %d..%d", s.Complete, s.Config.MinRepeats, s.Config.Repeats)
	}
}

// TestScreening: after the first repeat, the strategies Screen names run
// no more, are marked screened for Decide and in the results, and the
// factor is recorded.
func TestScreening(t *testing.T) {
	db, cfg := sqliteConfig(t, 300)
	cfg.Repeats, cfg.MinRepeats = 4, 3
	cfg.Strategies = []strategies.Strategy{strategies.CursorBulk{}, strategies.PagingBulk{}, strategies.KeysetBulk{}}
	var screenedAt int
	cfg.Screen, cfg.ScreenFactor = func(s *summary.Summary, _ []summary.SampleRow) []string {
		screenedAt = len(s.Runs)
		return []string{"paging-bulk"}
	}, 2
	cfg.Decide = func(s *summary.Summary, _ []summary.SampleRow) []string {
		for _, st := range s.Strategies {
			if st.Screened != (st.Name == "paging-bulk") {
				t.Errorf("Decide sees %s screened: %v", st.Name, st.Screened)
			}
		}
		return nil
	}
	s, _, err := Run(context.Background(), db, cfg, testLauncher(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	runs := map[string]int{}
	for _, r := range s.Runs {
		runs[r.Strategy]++
	}
	if screenedAt != 3 || runs["paging-bulk"] != 1 || runs["cursor-bulk"] != 3 || runs["keyset-bulk"] != 3 {
		t.Errorf("screened after %d runs; runs %v", screenedAt, runs)
	}
	if st, _ := s.Lookup("paging-bulk"); !st.Screened || s.Config.ScreenFactor != 2 {
		t.Errorf("paging-bulk screened %v, factor %v", st.Screened, s.Config.ScreenFactor)
	}
}

func TestOrderIsDeterministicShuffle(t *testing.T) {
	all := strategies.All()
	a, b := Order(all, 7, 1), Order(all, 7, 1)
	if fmt.Sprint(strategies.Names(a)) != fmt.Sprint(strategies.Names(b)) {
		t.Error("the same seed and repeat gave two orders")
	}
	differs := false
	for rep := 2; rep < 10; rep++ {
		differs = differs || fmt.Sprint(strategies.Names(Order(all, 7, rep))) != fmt.Sprint(strategies.Names(a))
	}
	if !differs {
		t.Error("nine repeats all ran in the same order")
	}
	if len(a) != len(all) {
		t.Errorf("order has %d strategies, want %d", len(a), len(all))
	}
}

// BenchmarkStrategies runs every strategy in a worker process of its own
// on a SQLite table of $ITERBENCH_BENCH_ROWS rows (default 50000), and
// reports the strategy's time as ns/op, the worker's sampled peak RSS and
// the throughput.
func BenchmarkStrategies(b *testing.B) {
	rows := benchRows(b)
	db, cfg := sqliteConfig(b, rows)
	cfg.Batch, cfg.Payload, cfg.Interval = strategies.DefaultBatchSize, 1024, DefaultInterval
	ctx := context.Background()
	if _, err := seed.Seed(ctx, db, seed.Config{Rows: rows, Payload: cfg.Payload, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	l := testLauncher(b)
	for _, s := range strategies.All() {
		if !strategies.Supported(s, database.KindOf(db), nil) {
			continue
		}
		b.Run(fmt.Sprintf("strategy=%s/rows=%d", s.Name(), rows), func(b *testing.B) {
			var secs float64
			var peak uint64
			for range b.N {
				run, _, _ := Measure(ctx, db, l, cfg, s.Name(), nil)
				if run.Status != summary.StatusOK {
					b.Fatalf("%s: %s", run.Status, run.Error)
				}
				secs += run.DurationSeconds
				peak = max(peak, run.PeakRSSBytes)
			}
			b.ReportMetric(secs*1e9/float64(b.N), "ns/op")
			b.ReportMetric(float64(peak), "peak-RSS-bytes")
			b.ReportMetric(float64(rows)*float64(b.N)/secs, "rows/s")
		})
	}
}

// benchRows is $ITERBENCH_BENCH_ROWS, or seed.DefaultRows.
func benchRows(b *testing.B) int {
	rows := seed.DefaultRows
	if v := os.Getenv("ITERBENCH_BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("ITERBENCH_BENCH_ROWS=%q is not a positive number", v)
		}
		rows = n
	}
	return rows
}

// TestRSSLimit kills the worker whose RSS crosses the limit, and only it.
func TestRSSLimit(t *testing.T) {
	db, cfg := sqliteConfig(t, 30000)
	cfg.Payload = 1024
	cfg.Strategies = []strategies.Strategy{strategies.LoadAll{}, strategies.CursorBulk{}}
	// Measure the baseline first, then set the limit 25 MiB above it: load-all
	// holds 30,000 rows of 1 KiB (well over 25 MiB), cursor-bulk one batch.
	base, err := Baseline(context.Background(), testLauncher(t), cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RSSLimit = base.HWM + 25<<20
	l := countWritten(testLauncher(t), db)
	s, _, err := Run(context.Background(), db, cfg, l, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Runs {
		switch r.Strategy {
		case "load-all":
			if r.Status != summary.StatusKilled || r.KilledAtSeconds <= 0 || r.PeakRSSBytes <= cfg.RSSLimit {
				t.Errorf("load-all: status %s, killed at %v s, peak %d (limit %d)", r.Status, r.KilledAtSeconds, r.PeakRSSBytes, cfg.RSSLimit)
			}
			if w := l.written(t, r.Strategy); r.Rows != w {
				t.Errorf("load-all: %d rows done reported, but the table held %d rows written when it was killed", r.Rows, w)
			}
		case "cursor-bulk":
			if r.Status != summary.StatusOK || r.Rows != int64(cfg.Rows) || l.written(t, r.Strategy) != int64(cfg.Rows) {
				t.Errorf("cursor-bulk: %s, %d rows done (%d written) of %d: %s", r.Status, r.Rows, l.written(t, r.Strategy), cfg.Rows, r.Error)
			}
		}
	}
	if !s.Complete || s.Config.RSSLimitBytes != cfg.RSSLimit {
		t.Errorf("complete %v, limit %d", s.Complete, s.Config.RSSLimitBytes)
	}
}

func TestTimeout(t *testing.T) {
	db, cfg := sqliteConfig(t, 30000)
	if _, err := seed.Seed(context.Background(), db, seed.Config{Rows: cfg.Rows, Payload: cfg.Payload, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 500 * time.Millisecond
	start := time.Now()
	run, _, err := Measure(context.Background(), db, testLauncher(t), cfg, "cursor", nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != summary.StatusTimeout || run.Rows >= int64(cfg.Rows) {
		t.Errorf("status %s, %d rows: %s", run.Status, run.Rows, run.Error)
	}
	// The rows done are what the table holds written, not the worker's last
	// report (once per batch).
	if w := written(t, db); run.Rows != w {
		t.Errorf("%d rows done reported, but the table holds %d rows written", run.Rows, w)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the time limit took %v to act", d)
	}
}

// written counts, with a query of the test's own, the rows of the table
// whose score has been written (a strategy writes every score at least 1,
// and the table is reset to 0).
func written(t testing.TB, db *gorm.DB) int64 {
	t.Helper()
	n, err := writtenRows(db)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// writtenRows is written without a test.
func writtenRows(db *gorm.DB) (int64, error) {
	var n int64
	if err := db.Raw("SELECT COUNT(*) FROM " + items.Table + " WHERE score <> 0").Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("count the rows written: %w", err)
	}
	return n, nil
}

// writtenAtExit is a launcher that, as each strategy's worker ends, counts
// the rows the table then holds written (see written), before the parent
// verifies the table or resets it for the next run.
type writtenAtExit struct {
	worker.Launcher
	db  *gorm.DB
	mu  sync.Mutex
	got map[string]int64 // by strategy; -1 when the count failed
}

// countWritten wraps l in a writtenAtExit on db.
func countWritten(l worker.Launcher, db *gorm.DB) *writtenAtExit {
	return &writtenAtExit{Launcher: l, db: db, got: map[string]int64{}}
}

// Start implements worker.Launcher.
func (w *writtenAtExit) Start(ctx context.Context, j worker.Job) (worker.Process, error) {
	p, err := w.Launcher.Start(ctx, j)
	if err != nil || j.Strategy == "" {
		return p, err
	}
	return &countAtExit{Process: p, done: func() {
		n, err := writtenRows(w.db)
		if err != nil {
			n = -1
		}
		w.mu.Lock()
		w.got[j.Strategy] = n
		w.mu.Unlock()
	}}, nil
}

// written returns the rows the table held written when strategy's last
// worker ended.
func (w *writtenAtExit) written(t testing.TB, strategy string) int64 {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	n, ok := w.got[strategy]
	if !ok || n < 0 {
		t.Fatalf("the rows written by %s's worker were not counted", strategy)
	}
	return n
}

// countAtExit calls done once its worker has ended.
type countAtExit struct {
	worker.Process
	done func()
}

// Wait implements worker.Process.
func (p *countAtExit) Wait() worker.Exit {
	e := p.Process.Wait()
	p.done()
	return e
}
