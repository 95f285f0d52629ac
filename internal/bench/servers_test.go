package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/strategies"
	"github.com/iterbench/iterbench/internal/summary"
)

// TestRunServers runs every strategy in worker processes against PostgreSQL
// and MariaDB in containers, and checks every row after every run.
func TestRunServers(t *testing.T) {
	for _, kind := range []database.Kind{database.Postgres, database.MariaDB} {
		t.Run("db="+string(kind), func(t *testing.T) {
			db, srv := containertest.Open(t, kind)
			cfg := Config{Kind: kind, DSN: srv.DSN, Rows: 2500, Batch: 1000, Payload: 512, DataSeed: 1, Repeats: 1,
				Strategies: strategies.All(), Interval: 5 * time.Millisecond, ShuffleSeed: 3}
			s, samples, err := Run(context.Background(), db, cfg, testLauncher(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range s.Runs {
				if r.Status != summary.StatusOK || r.WrongRows != 0 || r.RowsVerified != 2500 {
					t.Errorf("%s: %s, %d of %d rows wrong: %s", r.Strategy, r.Status, r.WrongRows, r.RowsVerified, r.Error)
				}
			}
			supported := 0
			for _, st := range strategies.All() {
				if strategies.Supported(st, kind, nil) {
					supported++
				}
			}
			if len(s.Runs) != supported || len(s.Runs)+len(s.Unsupported) != len(strategies.All()) || len(samples) == 0 {
				t.Errorf("%d runs, %d unsupported, %d samples", len(s.Runs), len(s.Unsupported), len(samples))
			}
			c := s.Config
			if c.DatabaseVersion == "" || len(c.Settings) == 0 || c.BulkForm != string(strategies.DefaultBulkForm(kind)) {
				t.Errorf("config: version %q, settings %v, bulk form %q", c.DatabaseVersion, c.Settings, c.BulkForm)
			}
			if strings.Contains(c.DSN, "iterbench-pw") {
				t.Errorf("the summary holds the password: %s", c.DSN)
			}
		})
	}
}

// TestServerDiesMidRun stops the server while a strategy runs: the run is
// recorded as an error with the rows it had done, the benchmark stops
// instead of hanging, and the summary says it is incomplete.
func TestServerDiesMidRun(t *testing.T) {
	db, srv := containertest.Open(t, database.Postgres)
	cfg := Config{Kind: database.Postgres, DSN: srv.DSN, Rows: 20000, Batch: 500, Payload: 512, DataSeed: 1, Repeats: 2,
		Strategies: []strategies.Strategy{strategies.Cursor{}}, Interval: 10 * time.Millisecond, ShuffleSeed: 3}
	stopped := make(chan struct{})
	p := &stopAt{rows: 2000, stop: func() {
		if err := srv.Stop(context.Background()); err != nil {
			t.Error(err)
		}
		close(stopped)
	}}
	start := time.Now()
	s, _, err := Run(context.Background(), db, cfg, testLauncher(t), p)
	t.Logf("Run returned after %v: %v", time.Since(start), err)
	select {
	case <-stopped:
	default:
		t.Fatal("the server was never stopped")
	}
	if err == nil || s == nil {
		t.Fatalf("Run: summary %v, err %v; want a summary and an error", s != nil, err)
	}
	if s.Complete || len(s.Runs) == 0 {
		t.Fatalf("complete %v, %d runs", s.Complete, len(s.Runs))
	}
	r := s.Runs[0]
	if r.Status != summary.StatusError || r.Error == "" {
		t.Errorf("first run: %s %q", r.Status, r.Error)
	}
	if r.Rows < 2000 || r.Rows >= 20000 {
		t.Errorf("first run reports %d rows done, want at least 2000 and fewer than 20000", r.Rows)
	}
	if d := time.Since(start); d > 3*time.Minute {
		t.Errorf("took %v to give up", d)
	}
}

// stopAt is a Progress that calls stop once a stage has done rows rows.
type stopAt struct {
	rows  int64
	stop  func()
	label string
	done  bool
}

func (p *stopAt) Start(label string, _ int64) { p.label = label }
func (p *stopAt) Finish()                     {}
func (p *stopAt) Set(n int64) {
	if !p.done && n >= p.rows && p.label != "seed" {
		p.done = true
		p.stop()
	}
}
