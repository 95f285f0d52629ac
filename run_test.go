package iterbench_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench"
	"github.com/iterbench/iterbench/internal/database"
)

// account is a row of a table a production job backfills: key (region,
// id), a balance computed from the history.
type account struct {
	Region  string `gorm:"primaryKey;size:8;not null"`
	ID      int64  `gorm:"primaryKey;autoIncrement:false;not null"`
	History string `gorm:"not null"`
	Balance int64  `gorm:"not null;default:0"`
}

func (account) TableName() string { return "accounts" }

var balances = iterbench.Job[account]{
	Name:    "balances",
	Write:   []string{"balance"},
	Compute: func(a *account) error { a.Balance = int64(len(a.History)) + 1; return nil },
	SQL:     map[string]string{"sqlite": "balance = length(history) + 1"},
}

// runStrategies are the strategies Run takes, as RunOptions.Strategy
// names them.
var runStrategies = []string{"keyset-bulk", "keyset-adaptive", "keyset-pipelined", "parallel-keyset", "set-based"}

// accountsDB makes a SQLite file with rows accounts, and a table counting
// every UPDATE of each of them (a trigger, in the UPDATE's transaction).
func accountsDB(t *testing.T, rows int) (*gorm.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "accounts.db")
	db, err := database.Open(context.Background(), database.SQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(db) })
	if err := db.AutoMigrate(&account{}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE account_writes (region TEXT NOT NULL, id INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (region, id))",
		"CREATE TRIGGER count_writes AFTER UPDATE ON accounts BEGIN INSERT INTO account_writes VALUES (NEW.region, NEW.id, 1) ON CONFLICT (region, id) DO UPDATE SET n = n + 1; END",
	} {
		if err := db.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	var all []account
	for i := range rows {
		all = append(all, account{Region: []string{"eu", "us", "ap"}[i%3], ID: int64(i / 3), History: strings.Repeat("x", r.IntN(300))})
	}
	if err := db.CreateInBatches(&all, 500).Error; err != nil {
		t.Fatal(err)
	}
	return db, path
}

// checkAccounts checks every balance and returns how many rows were written
// more than once (the rows redone) and how many not at all.
func checkAccounts(t *testing.T, db *gorm.DB) (redone, missing int64) {
	t.Helper()
	var wrong int64
	db.Raw("SELECT COUNT(*) FROM accounts WHERE balance != length(history) + 1").Scan(&wrong)
	if wrong != 0 {
		t.Errorf("%d balances wrong", wrong)
	}
	db.Raw("SELECT COALESCE(SUM(n - 1), 0) FROM account_writes").Scan(&redone)
	db.Raw("SELECT COUNT(*) FROM accounts a WHERE NOT EXISTS (SELECT 1 FROM account_writes w WHERE w.region = a.region AND w.id = a.id)").Scan(&missing)
	return redone, missing
}

// TestRun runs a job in production form with each strategy Run takes:
// adaptive batches, progress, the throttle's pauses, a stop after a batch
// and the resume after it, every row written exactly once.
func TestRun(t *testing.T) {
	for _, name := range runStrategies {
		t.Run("strategy="+name, func(t *testing.T) { testRun(t, name) })
	}
}

func testRun(t *testing.T, strategy string) {
	db, _ := accountsDB(t, 3000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var reports []iterbench.Progress
	throttled := 0
	opts := iterbench.RunOptions{
		Strategy:  strategy,
		Batch:     iterbench.Adaptive{Target: 50 * time.Millisecond, StartRows: 100, MinRows: 10},
		Workers:   4,
		NoSignals: true,
		Throttle: func(context.Context) (time.Duration, string) {
			if throttled++; throttled <= 2 {
				return 5 * time.Millisecond, "test pause"
			}
			return 0, ""
		},
		Progress: func(p iterbench.Progress) {
			reports = append(reports, p)
			if len(reports) == 3 {
				cancel() // stops after this batch
			}
		},
	}
	parallel := strategy == "parallel-keyset"
	if parallel {
		opts.Throttle = nil // asked by four ranges at once
	}
	st, err := iterbench.Run(ctx, db, balances, opts)
	if err != nil {
		t.Fatal(err)
	}
	// parallel-keyset's other ranges finish the batches they had under
	// way.
	if !st.Stopped || st.Rows == 0 || st.Rows >= 3000 || st.Batches < 3 || (!parallel && st.Batches != 3) || st.Resumed {
		t.Fatalf("stopped run: %+v", st)
	}
	if !parallel && (len(st.Pauses) != 2 || st.Pauses[0].Reason != "test pause") {
		t.Errorf("pauses %+v, want the throttle's two", st.Pauses)
	}
	for i, p := range reports {
		if p.Total != 3000 || p.Rows <= 0 || (i > 0 && p.Rows <= reports[i-1].Rows) || p.RowsPerSecond <= 0 {
			t.Errorf("progress %d: %+v", i, p)
		}
	}
	first := st.Rows
	reports = nil
	opts.Progress = nil
	// parallel-keyset resumes in the ranges it recorded, whatever Workers
	// now says.
	opts.Workers = 3
	st, err = iterbench.Run(context.Background(), db, balances, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Resumed || st.Stopped || st.Rows != 3000-first || st.RowsMin <= 0 || st.RowsMax < st.RowsMin || st.BatchSecondsP99 < st.BatchSecondsP50 {
		t.Errorf("resumed run: %+v, want the %d rows left", st, 3000-first)
	}
	if redone, missing := checkAccounts(t, db); redone != 0 || missing != 0 {
		t.Errorf("%d rows written twice, %d never", redone, missing)
	}
	// Done: a run now has nothing left (set-based does not record its
	// last range: it does that one again), and Restart does it all again.
	st, err = iterbench.Run(context.Background(), db, balances, opts)
	if err != nil || (strategy != "set-based" && st.Rows != 0) || (strategy == "set-based" && st.Rows >= 3000) {
		t.Errorf("run after the end: %+v, %v", st, err)
	}
	opts.Restart = true
	if st, err = iterbench.Run(context.Background(), db, balances, opts); err != nil || st.Rows != 3000 || st.Resumed {
		t.Errorf("restarted run: %+v, %v", st, err)
	}
}

// TestRunRefuses checks what Run says of a strategy it cannot run.
func TestRunRefuses(t *testing.T) {
	db, _ := accountsDB(t, 10)
	noSQL := balances
	noSQL.SQL = nil
	for _, c := range []struct {
		strategy string
		job      iterbench.Job[account]
		want     string
	}{
		{"paging-bulk", balances, "cannot resume: take one of keyset-bulk, parallel-keyset, set-based, keyset-adaptive, keyset-pipelined"},
		{"keyset-bluk", balances, "did you mean keyset-bulk"},
		{"set-based", noSQL, "set-based needs the job's SQL"},
		{"keyset-bulk@driver", balances, "is a driver form, a measurement of what GORM costs: run keyset-bulk"},
	} {
		_, err := iterbench.Run(context.Background(), db, c.job, iterbench.RunOptions{Strategy: c.strategy, NoSignals: true})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("strategy %s: %v, want %q", c.strategy, err, c.want)
		}
		if !iterbench.BadInput(err) {
			t.Errorf("strategy %s: %v is not bad input", c.strategy, err)
		}
	}
}

// TestRunParallelFailure fails one of parallel-keyset's ranges: Run
// returns its error, and the other ranges stop after the batch they have
// under way instead of writing on.
func TestRunParallelFailure(t *testing.T) {
	db, _ := accountsDB(t, 3000)
	written := make(chan struct{})
	var once sync.Once
	j := balances
	j.Compute = func(a *account) error {
		if a.Region == "ap" && a.ID == 0 { // the first row of the first range
			select {
			case <-written: // another range has written a batch
			case <-t.Context().Done():
			}
			return errors.New("no balance for ap/0")
		}
		return balances.Compute(a)
	}
	st, err := iterbench.Run(context.Background(), db, j, iterbench.RunOptions{
		Strategy: "parallel-keyset", Workers: 4, Batch: 100, NoSignals: true,
		Progress: func(iterbench.Progress) { once.Do(func() { close(written) }) },
	})
	if err == nil || !strings.Contains(err.Error(), "no balance for ap/0") {
		t.Fatalf("err %v, want the range's", err)
	}
	// The three other ranges hold 2,250 rows: had they not stopped, they
	// would have written them all.
	if st.Rows == 0 || st.Rows >= 2250 {
		t.Errorf("%d rows written, want the other ranges stopped after a batch or so", st.Rows)
	}
}

// TestRunPipelinedPause changes every row's source while keyset-pipelined
// is paused by the throttle, with the next page already read ahead: the
// pause must drop that page, so that no balance is computed from a row as
// it was before the pause.
func TestRunPipelinedPause(t *testing.T) {
	db, _ := accountsDB(t, 300)
	calls := 0
	st, err := iterbench.Run(context.Background(), db, balances, iterbench.RunOptions{
		Strategy: "keyset-pipelined", Batch: 100, NoSignals: true,
		Throttle: func(context.Context) (time.Duration, string) {
			if calls++; calls != 2 {
				return 0, ""
			}
			// After the first batch; the second page has been read ahead.
			if err := db.Exec("UPDATE accounts SET history = history || 'changed'").Error; err != nil {
				t.Error(err)
			}
			return time.Millisecond, "the application writes"
		},
	})
	if err != nil || st.Rows != 300 || len(st.Pauses) != 1 {
		t.Fatalf("%+v, %v", st, err)
	}
	var wrong int64
	db.Raw("SELECT COUNT(*) FROM accounts WHERE balance != length(history) + 1").Scan(&wrong)
	// The first page was written before the change: its 100 rows are
	// stale, as they would be after any backfill; the other 200 must not.
	if wrong != 100 {
		t.Errorf("%d balances stale, want the first batch's 100 only", wrong)
	}
}

// TestRunStopMidBatch stops a run while a batch is being computed: the
// batch must still be written and committed, and the next run resume after
// it, every row written once.
func TestRunStopMidBatch(t *testing.T) {
	db, _ := accountsDB(t, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	computed := 0
	j := balances
	j.Compute = func(a *account) error {
		if computed++; computed == 150 {
			cancel() // as a SIGINT would, in the middle of the second batch
		}
		return balances.Compute(a)
	}
	st, err := iterbench.Run(ctx, db, j, iterbench.RunOptions{Batch: 100, NoSignals: true})
	if err != nil || !st.Stopped || st.Rows != 200 {
		t.Fatalf("stopped in the second batch: %+v, %v; want it stopped after that batch, 200 rows", st, err)
	}
	if st, err = iterbench.Run(context.Background(), db, balances, iterbench.RunOptions{Batch: 100, NoSignals: true}); err != nil || st.Rows != 800 {
		t.Fatalf("resumed: %+v, %v", st, err)
	}
	if redone, missing := checkAccounts(t, db); redone != 0 || missing != 0 {
		t.Errorf("%d rows written twice, %d never", redone, missing)
	}
}

// Environment of the child TestRunKilled starts: the database's path, and
// the strategy.
const (
	runChildEnv    = "ITERBENCH_TEST_RUN_CHILD"
	runStrategyEnv = "ITERBENCH_TEST_RUN_STRATEGY"
)

// TestRunKilled kills a process running Run with SIGKILL at random points,
// several times in a row on one table, and lets the last one finish:
// every row must end correct, and each kill costs at most the batch under
// way (a batch is one transaction: a killed one is rolled back whole, so
// nothing is written twice).
func TestRunKilled(t *testing.T) {
	if os.Getenv(runChildEnv) != "" {
		t.Skip("the child's own run of the tests")
	}
	for _, name := range []string{"keyset-bulk", "keyset-pipelined", "parallel-keyset", "set-based"} {
		t.Run("strategy="+name, func(t *testing.T) { testRunKilled(t, name) })
	}
}

func testRunKilled(t *testing.T, strategy string) {
	db, path := accountsDB(t, 6000)
	r := rand.New(rand.NewPCG(5, 6))
	const kills = 4
	for i := 0; ; i++ {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), runChildEnv+"="+path, runStrategyEnv+"="+strategy)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		batches, killAt := 0, 1+r.IntN(6)
		for sc.Scan() {
			if !strings.HasPrefix(sc.Text(), "batch ") {
				continue
			}
			if batches++; i < kills && batches == killAt {
				// Somewhere in the next batch, or between two.
				time.Sleep(time.Duration(r.IntN(3000)) * time.Microsecond)
				cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
		err = cmd.Wait()
		if i < kills {
			if err == nil {
				t.Fatalf("run %d was not killed (it had %d batches)", i, batches)
			}
			continue
		}
		if err != nil {
			t.Fatalf("the last run: %v", err)
		}
		break
	}
	redone, missing := checkAccounts(t, db)
	if missing != 0 || redone != 0 {
		t.Errorf("after %d kills: %d rows written twice, %d never", kills, redone, missing)
	}
}

// runChild is the child of TestRunKilled: it runs the balances job on the
// SQLite file $ITERBENCH_TEST_RUN_CHILD with $ITERBENCH_TEST_RUN_STRATEGY
// in batches of 100, a line per batch.
func runChild(path string) int {
	ctx := context.Background()
	db, err := database.Open(ctx, database.SQLite, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer database.Close(db)
	_, err = iterbench.Run(ctx, db, balances, iterbench.RunOptions{Strategy: os.Getenv(runStrategyEnv), Batch: 100, Progress: func(p iterbench.Progress) {
		fmt.Printf("batch %d rows, %d of %d\n", p.Batch, p.Rows, p.Total)
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
