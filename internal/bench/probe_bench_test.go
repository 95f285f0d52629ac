package bench

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/probe"
	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/summary"
)

// BenchmarkProbeCost measures what the application probe costs the run
// beside it: keyset-bulk on PostgreSQL (in a container) with and without
// the probe, alternately in one process against one server, $ITERBENCH_BENCH_ROWS
// rows (default 50000). ns/op is the worker's time with the probe;
// off-ns/op without; on/off the median of each pair's ratio.
func BenchmarkProbeCost(b *testing.B) {
	db, srv := containertest.Open(b, database.Postgres)
	rows := benchRows(b)
	cfg := Config{Kind: database.Postgres, DSN: srv.DSN, Rows: rows, Batch: 1000, Payload: 1024, DataSeed: 1,
		Interval: DefaultInterval, ProbeRate: probe.DefaultRate}
	ctx := context.Background()
	if _, err := seed.Seed(ctx, db, seed.Config{Rows: rows, Payload: cfg.Payload, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	pb, err := probe.Open(ctx, cfg.Kind, cfg.DSN, probe.Config{Rate: cfg.ProbeRate, Rows: int64(rows), Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer pb.Close()
	l := testLauncher(b)
	b.Run(fmt.Sprintf("strategy=keyset-bulk/db=postgres/rows=%d", rows), func(b *testing.B) {
		var on, off float64
		var ratios []float64
		for i := range b.N {
			var secs [2]float64
			for k := range 2 {
				withProbe := (i+k)%2 == 0 // alternate which goes first
				var p *probe.Probe
				if withProbe {
					p = pb
				}
				run, _, _, _, err := measure(ctx, db, l, cfg, "keyset-bulk", nil, p, nil)
				if err != nil || run.Status != summary.StatusOK {
					b.Fatalf("%v %s: %s", err, run.Status, run.Error)
				}
				if withProbe {
					secs[0] = run.DurationSeconds
				} else {
					secs[1] = run.DurationSeconds
				}
			}
			on, off = on+secs[0], off+secs[1]
			ratios = append(ratios, secs[0]/secs[1])
		}
		slices.Sort(ratios)
		b.ReportMetric(on*1e9/float64(b.N), "ns/op")
		b.ReportMetric(off*1e9/float64(b.N), "off-ns/op")
		b.ReportMetric(summary.NewStat(ratios).Median, "on/off")
	})
}
