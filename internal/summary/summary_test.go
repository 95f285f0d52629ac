package summary

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"
)

func TestNewStat(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want Stat
	}{
		{nil, Stat{}},
		{[]float64{3}, Stat{3, 3, 3}},
		{[]float64{5, 1, 3}, Stat{3, 1, 5}},
		{[]float64{4, 1, 2, 10}, Stat{3, 1, 10}},
	} {
		if got := NewStat(c.in); got != c.want {
			t.Errorf("NewStat(%v) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func sample() *Summary {
	runs := []Run{
		{Strategy: "b", Repeat: 1, Status: StatusOK, Rows: 100, RowsVerified: 100, PeakRSSBytes: 30 << 20, KernelMaxRSSBytes: 31 << 20, DurationSeconds: 2},
		{Strategy: "a", Repeat: 1, Status: StatusOK, Rows: 100, RowsVerified: 100, PeakRSSBytes: 10 << 20, KernelMaxRSSBytes: 10 << 20, DurationSeconds: 1},
		{Strategy: "a", Repeat: 2, Status: StatusError, Rows: 40, WrongRows: 60, Error: "boom"},
		{Strategy: "a", Repeat: 3, Status: StatusOK, Rows: 100, RowsVerified: 100, PeakRSSBytes: 12 << 20, KernelMaxRSSBytes: 12 << 20, DurationSeconds: 4},
	}
	s := &Summary{
		Config: Config{Database: "sqlite", DatabaseVersion: "3.0", Rows: 100, BatchSize: 10, OS: "linux", Arch: "amd64",
			Strategies: []string{"a", "b"}, Settings: map[string]string{"journal_mode": "WAL"}, StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		Complete: true,
		Runs:     runs,
	}
	s.Strategies = Aggregate(runs, []string{"a", "b", "c"}, map[string]string{"a": "first"})
	return s
}

func TestAggregate(t *testing.T) {
	s := sample()
	if len(s.Strategies) != 2 {
		t.Fatalf("got %d strategies, want 2 (c has no runs)", len(s.Strategies))
	}
	a := s.Strategies[0]
	if a.Name != "a" || a.Description != "first" || a.Runs != 3 || a.OK != 2 {
		t.Errorf("a = %+v", a)
	}
	if a.PeakRSSBytes != (Stat{11 << 20, 10 << 20, 12 << 20}) {
		t.Errorf("a's peak = %+v (the failed run must not count)", a.PeakRSSBytes)
	}
	if a.DurationSeconds.Median != 2.5 || a.RowsPerSecond != (100.0+25)/2 {
		t.Errorf("a's duration %+v, rate %v", a.DurationSeconds, a.RowsPerSecond)
	}
	if r, ok := s.MedianRun("a"); !ok || r.Repeat != 1 {
		t.Errorf("MedianRun(a) = repeat %d, %v; want repeat 1", r.Repeat, ok)
	}
	if _, ok := s.MedianRun("c"); ok {
		t.Error("MedianRun found a run of c")
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := sample()
	s.IdleProbe = &Probe{RatePerSecond: 200, Ops: 1000, P50Ms: 1.2, P99Ms: 3.4, MaxMs: 9}
	s.Runs[0].Probe = &Probe{RatePerSecond: 200, Ops: 100, P50Ms: 1.5, P99Ms: 250, MaxMs: 1001, Timeouts: 3, WriteMaxMs: 1001}
	s.Runs[0].Server = &Server{Samples: 5, WALBytes: 1 << 20, LongestTransactionSeconds: 0.4, OldestSnapshotSeconds: 0.3}
	s.Runs[0].Resume = &Resume{KillAtRows: 50, DoneAtKill: 50, Resumed: true, FirstSeconds: 1, SecondSeconds: 1.2, TimeLostSeconds: 0.2}
	s.ProbeWindows = []ProbeWindow{{Strategy: IdleStrategy, T: 0, Ops: 50, P99Ms: 3.25}, {Strategy: "a", Repeat: 1, T: 0.25, Ops: 49, P99Ms: 1000.5, Timeouts: 2}}
	rows := []SampleRow{
		{Strategy: "a", Repeat: 1, T: 0, RSS: 100, HWM: 100, Anon: 40, File: 60},
		{Strategy: "a", Repeat: 1, T: 0.01, RSS: 2000, HWM: 2000, Anon: 1900, File: 100, Cgroup: 2500, WorkingSet: 2200},
		{Strategy: "b", Repeat: 1, T: 0.5, RSS: 300, HWM: 2000, Anon: 200, File: 100},
	}
	if err := Write(dir, s, rows); err != nil {
		t.Fatal(err)
	}
	gotS, gotRows, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotS, s) {
		t.Errorf("summary changed in the round trip:\n got %+v\nwant %+v", gotS, s)
	}
	if !reflect.DeepEqual(gotRows, rows) {
		t.Errorf("samples changed in the round trip:\n got %+v\nwant %+v", gotRows, rows)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("folder holds %d files, want 4 (no temporary files left)", len(entries))
	}
	// A folder written before the probe has no probe.csv.
	if err := os.Remove(filepath.Join(dir, ProbeFile)); err != nil {
		t.Fatal(err)
	}
	if gotS, _, err = Read(dir); err != nil || gotS.ProbeWindows != nil {
		t.Errorf("without probe.csv: windows %v, error %v", gotS.ProbeWindows, err)
	}
}

// TestReadOldSamples reads a samples.csv written before the memory split.
func TestReadOldSamples(t *testing.T) {
	rows, err := ReadSamples(strings.NewReader("strategy,repeat,t_seconds,rss_bytes,hwm_bytes\nx,2,0.1,300,400\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []SampleRow{{Strategy: "x", Repeat: 2, T: 0.1, RSS: 300, HWM: 400}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("got %+v, want %+v", rows, want)
	}
}

func TestReadSamplesRejectsBadInput(t *testing.T) {
	for _, in := range []string{
		"",
		"a,b,c\n",
		"strategy,repeat,t_seconds,rss_bytes,hwm_bytes\nx,1,0.1,notanumber,1\n",
	} {
		if _, err := ReadSamples(strings.NewReader(in)); err == nil {
			t.Errorf("ReadSamples(%q) succeeded", in)
		}
	}
	if _, _, err := Read(t.TempDir()); err == nil {
		t.Error("Read of an empty folder succeeded")
	}
}

// TestBenchFormat checks that bench.txt parses as the Go benchmark format,
// with one result per ok run and the units benchstat needs.
func TestBenchFormat(t *testing.T) {
	var b bytes.Buffer
	if err := WriteBench(&b, sample()); err != nil {
		t.Fatal(err)
	}
	r := benchfmt.NewReader(&b, "bench.txt")
	var got []string
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			if v, ok := rec.Value("peak-RSS-bytes"); !ok || v <= 0 {
				t.Errorf("%s: peak-RSS-bytes = %v, %v", rec.Name, v, ok)
			}
			if _, ok := rec.Value("rows/s"); !ok {
				t.Errorf("%s: no rows/s", rec.Name)
			}
			if db := string(rec.GetConfig("database")); db != "sqlite 3.0" {
				t.Errorf("database config = %q", db)
			}
			got = append(got, string(rec.Name.Full()))
		case *benchfmt.SyntaxError:
			t.Errorf("syntax error: %v", rec)
		}
	}
	want := []string{"Iterate/strategy=b/rows=100", "Iterate/strategy=a/rows=100", "Iterate/strategy=a/rows=100"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("results %q, want %q", got, want)
	}
}

// TestLagFile: a cluster's readings go to lag.csv and come back; one
// server's results have no lag.csv.
func TestLagFile(t *testing.T) {
	dir := t.TempDir()
	s := &Summary{Lag: []LagSample{{Strategy: "keyset-bulk", Repeat: 2, T: 0.1, LagSeconds: 0.25, LagBytes: 4096, RecvQueue: 3, FlowControlPaused: 0.5}}}
	if err := Write(dir, s, nil); err != nil {
		t.Fatal(err)
	}
	got, _, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Lag) != 1 || got.Lag[0] != s.Lag[0] {
		t.Errorf("read %+v, want %+v", got.Lag, s.Lag)
	}
	one := t.TempDir()
	if err := Write(one, &Summary{}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(one, LagFile)); !os.IsNotExist(err) {
		t.Errorf("%s written for one server: %v", LagFile, err)
	}
}

// TestReadCSVErrors: a bad header or value is an error naming the line.
func TestReadCSVErrors(t *testing.T) {
	good := "strategy,repeat,t_seconds,lag_seconds,lag_bytes,recv_queue,flow_control_paused\nkeyset-bulk,1,0.1,0,0,0,0\n"
	if _, err := ReadLag(strings.NewReader(good + "keyset-bulk,1,0.2,soon,0,0,0\n")); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("a bad value on line 3: %v", err)
	}
	if _, err := ReadProbe(strings.NewReader(good)); err == nil || !strings.Contains(err.Error(), "unexpected header") {
		t.Errorf("lag.csv read as probe.csv: %v", err)
	}
}
