package summary

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ProbeFile holds the probe's latency per window of every run.
const ProbeFile = "probe.csv"

// IdleStrategy names the idle probe's rows in probe.csv.
const IdleStrategy = "idle"

// Probe is what the application probe saw during one run (or while idle):
// latencies are measured from the moment each operation was due, so time
// spent queued behind a blocked one counts.
type Probe struct {
	// RatePerSecond is the rate the probe was asked to keep.
	RatePerSecond float64 `json:"rate_per_second"`
	Ops           int64   `json:"ops"`
	P50Ms         float64 `json:"p50_ms"`
	P99Ms         float64 `json:"p99_ms"`
	MaxMs         float64 `json:"max_ms"`
	// Timeouts counts operations that gave up on the 1 s lock-wait limit.
	Timeouts int64 `json:"timeouts"`
	// Conflicts counts operations aborted for conflicting with another
	// transaction: deadlocks and, on Galera, certification failures and
	// aborts by a replicated writeset; on a hot standby, reads cancelled
	// for conflicting with recovery.
	Conflicts int64 `json:"conflicts,omitempty"`
	// Errors counts operations that failed otherwise; FirstError is the
	// first one's message.
	Errors     int64  `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
	// StaleP99Ms and StaleMaxMs are how stale the rows the probe read
	// were, where it read from a standby: the standby's replay delay at
	// each read (0 when it had replayed all it had received).
	StaleP99Ms float64 `json:"stale_p99_ms,omitempty"`
	StaleMaxMs float64 `json:"stale_max_ms,omitempty"`
	// WriteMaxMs is the longest an UPDATE of the probe took, from when it
	// was due until it finished or gave up.
	WriteMaxMs float64 `json:"write_max_ms"`
	// Seconds is how long the probe ran.
	Seconds float64 `json:"seconds"`
}

// Server is what a run cost the database server, read on a connection of
// its own before, every 100 ms during, and after the run. Fields a database
// cannot report are left out.
type Server struct {
	// Samples is the number of readings taken during the run and at its end.
	Samples int `json:"samples"`
	// WALBytes is the write-ahead log the run wrote (PostgreSQL: the LSN
	// difference), or InnoDB's redo log (MariaDB: Innodb_lsn_current).
	WALBytes int64 `json:"wal_bytes,omitempty"`
	// DeadTuplesAfter is pg_stat_user_tables.n_dead_tup after the run.
	DeadTuplesAfter int64 `json:"dead_tuples_after,omitempty"`
	// SizeBeforeBytes and SizeAfterBytes are the table with its indexes
	// (PostgreSQL, MariaDB) or the database file (SQLite).
	SizeBeforeBytes int64 `json:"size_before_bytes,omitempty"`
	SizeAfterBytes  int64 `json:"size_after_bytes,omitempty"`
	// LongestTransactionSeconds is the age of the oldest open transaction
	// of the worker's sessions, the largest seen.
	LongestTransactionSeconds float64 `json:"longest_transaction_seconds"`
	// OldestSnapshotSeconds (PostgreSQL) is the age of the oldest
	// transaction of the worker's sessions holding back the xmin horizon
	// (backend_xmin set): what keeps vacuum from removing dead rows.
	OldestSnapshotSeconds float64 `json:"oldest_snapshot_seconds,omitempty"`
	// HistoryListMax (MariaDB) is the largest InnoDB history list length
	// seen: undo that purge could not yet remove.
	HistoryListMax int64 `json:"history_list_max,omitempty"`
	// WALMaxBytes (SQLite) is the largest size of the -wal file seen.
	WALMaxBytes int64 `json:"wal_max_bytes,omitempty"`
	// Error says what could not be read.
	// CPUSeconds is the CPU time the database server's processes used
	// during the run (its container's cgroup, cpuacct), all of them: the
	// probe's work included. 0: not read (SQLite, which runs in the worker,
	// or a server given with --dsn).
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	Error      string  `json:"error,omitempty"`
}

// Resume records a run that was killed partway (--kill-at) and started
// again.
type Resume struct {
	// KillAtRows is the progress at which the worker was killed.
	KillAtRows int64 `json:"kill_at_rows"`
	// DoneAtKill is the rows the table held correct when it was killed.
	DoneAtKill int64 `json:"done_at_kill"`
	// Resumed is true when the second worker found progress recorded by the
	// first (ResumedFrom), from which a resumable strategy continues; false
	// when there was none and it started again from the first row.
	Resumed bool `json:"resumed"`
	// ResumedFrom is the progress the second worker found recorded as it
	// started: the last key written (a JSON array of the key's values; a
	// bare id in results written before keys had several columns) under
	// each name (the job's and the strategy's, or one per range of
	// parallel-keyset).
	ResumedFrom map[string]json.RawMessage `json:"resumed_from,omitempty"`
	// RowsRedone is the rows written twice.
	RowsRedone int64 `json:"rows_redone"`
	// FirstSeconds and SecondSeconds are the two workers' lifetimes.
	FirstSeconds  float64 `json:"first_seconds"`
	SecondSeconds float64 `json:"second_seconds"`
	// TimeLostSeconds is FirstSeconds+SecondSeconds less the median
	// lifetime of the strategy's uninterrupted runs.
	TimeLostSeconds float64 `json:"time_lost_seconds"`
	// Note says why the kill could not land partway, if it could not.
	Note string `json:"note,omitempty"`
}

// ProbeWindow is one line of probe.csv: the probe's latencies over one
// window of a run, by when each operation was due.
type ProbeWindow struct {
	Strategy string
	Repeat   int
	// T is the window's start, in seconds since the worker started.
	T        float64
	Ops      int
	P99Ms    float64
	Timeouts int
}

var probeHeader = []string{"strategy", "repeat", "t_seconds", "ops", "p99_ms", "timeouts"}

// WriteProbe writes windows as CSV with a header line.
func WriteProbe(w io.Writer, windows []ProbeWindow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(probeHeader); err != nil {
		return err
	}
	for _, x := range windows {
		rec := []string{x.Strategy, strconv.Itoa(x.Repeat), strconv.FormatFloat(x.T, 'f', 3, 64),
			strconv.Itoa(x.Ops), strconv.FormatFloat(x.P99Ms, 'f', 3, 64), strconv.Itoa(x.Timeouts)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadProbe parses what WriteProbe wrote.
func ReadProbe(r io.Reader) ([]ProbeWindow, error) {
	var out []ProbeWindow
	err := readCSV(r, probeHeader, func(rec []string) error {
		x := ProbeWindow{Strategy: rec[0]}
		var errs [5]error
		x.Repeat, errs[0] = strconv.Atoi(rec[1])
		x.T, errs[1] = strconv.ParseFloat(rec[2], 64)
		x.Ops, errs[2] = strconv.Atoi(rec[3])
		x.P99Ms, errs[3] = strconv.ParseFloat(rec[4], 64)
		x.Timeouts, errs[4] = strconv.Atoi(rec[5])
		out = append(out, x)
		return errors.Join(errs[:]...)
	})
	return out, err
}

// readCSV reads a CSV file whose first line is header and gives each
// further record to row; an error names the line.
func readCSV(r io.Reader, header []string, row func(rec []string) error) error {
	cr := csv.NewReader(r)
	got, err := cr.Read()
	if err != nil {
		return fmt.Errorf("read header: %w", err)
	}
	if strings.Join(got, ",") != strings.Join(header, ",") {
		return fmt.Errorf("unexpected header %q", strings.Join(got, ","))
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := row(rec); err != nil {
			line, _ := cr.FieldPos(0)
			return fmt.Errorf("line %d: %w", line, err)
		}
	}
}
