package report

import (
	"strings"
	"testing"

	"github.com/iterbench/iterbench/internal/analysis"
	"github.com/iterbench/iterbench/internal/summary"
)

// costRun is an ok run with what the probe and the server watch saw.
func costRun(name string, secs, p99, held float64) summary.Run {
	r := fakeRun(name, 1, 36, secs)
	r.Probe = &summary.Probe{RatePerSecond: 200, Ops: 100, P50Ms: 1, P99Ms: p99, MaxMs: p99}
	r.Server = &summary.Server{LongestTransactionSeconds: held, OldestSnapshotSeconds: held}
	return r
}

func costSummary(db string, maxP99 float64, runs ...summary.Run) *summary.Summary {
	s := fakeSummary(50000, 0, runs...)
	s.Config.Database, s.Config.MaxAppP99Ms = db, maxP99
	s.IdleProbe = &summary.Probe{RatePerSecond: 200, Ops: 1000, P50Ms: 1, P99Ms: 2, MaxMs: 5}
	return s
}

// TestCostRules checks each rule that ranks a strategy after those that
// pass: the application's p99, a transaction held for most of the run on a
// server, and no way to resume.
func TestCostRules(t *testing.T) {
	runs := []summary.Run{
		costRun("cursor-bulk", 1, 5, 0.9),        // fastest, but cannot resume
		costRun("keyset-bulk", 2, 6, 0.1),        // passes every rule
		costRun("cursor", 9, 8, 8.5),             // holds its transaction, cannot resume
		costRun("set-based-once", 0.5, 900, 0.5), // in the database: stalls the probe
		costRun("set-based", 0.8, 7, 0.02),       // in the database: passes
	}
	r := Recommend(costSummary("postgres", 0, runs...), nil, nil)
	if r.Best != "keyset-bulk" {
		t.Errorf("Best = %q, want keyset-bulk (the only client-side strategy that passes)", r.Best)
	}
	if got := strings.Join(r.Ranked, ","); got != "keyset-bulk,cursor-bulk,cursor" {
		t.Errorf("Ranked = %s, want keyset-bulk first, then the others fastest first", got)
	}
	// The verdict says why a faster strategy is not the answer.
	if v := r.Verdict(); !strings.Contains(v, "keyset-bulk, the fastest strategy whose memory stayed flat and that passed the cost rules") ||
		!strings.Contains(v, "Faster, but ranked after it: cursor-bulk: it cannot resume after a kill") || strings.Contains(v, "ranked after it: cursor:") {
		t.Errorf("verdict:\n%s\nwant keyset-bulk, and cursor-bulk (faster) named with its reason", v)
	}
	for name, want := range map[string]string{
		"cursor-bulk":    "cannot resume",
		"cursor":         "held one transaction or snapshot open for 8.50 s of its 9.00 s",
		"set-based-once": "p99 beside it was 900 ms, above the limit of 50.0 ms (the 50 ms floor",
	} {
		if !strings.Contains(r.Costs[name], want) {
			t.Errorf("%s: costs %q, want %q", name, r.Costs[name], want)
		}
	}
	if strings.Contains(r.Costs["cursor-bulk"], "held") {
		t.Errorf("cursor-bulk held its transaction for 0.9 s of 1 s, under the 1 s floor: %q", r.Costs["cursor-bulk"])
	}
	if !strings.Contains(r.SQL, "**set-based**") {
		t.Errorf("SQL note %q, want set-based (set-based-once stalls the probe)", r.SQL)
	}
	md := r.Markdown()
	for _, want := range []string{"Ranked after those that pass the cost rules, cursor:", "In the database, not set-based-once as it stands:"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}

	// A higher --max-app-p99 lets set-based-once pass the probe rule.
	r = Recommend(costSummary("postgres", 1000, runs...), nil, nil)
	if strings.Contains(r.Costs["set-based-once"], "p99") {
		t.Errorf("with --max-app-p99 1s: %q", r.Costs["set-based-once"])
	}
	// 10 × the idle p99 when that is above the floor.
	s := costSummary("postgres", 0, runs...)
	s.IdleProbe.P99Ms = 20
	if limit, _ := analysis.AppP99Limit(s); limit != 200 {
		t.Errorf("limit %v, want 200 ms", limit)
	}
	// SQLite reports no transactions: no held rule.
	r = Recommend(costSummary("sqlite", 0, runs...), nil, nil)
	if strings.Contains(r.Costs["cursor"], "held") {
		t.Errorf("sqlite: %q", r.Costs["cursor"])
	}
	// When no in-database strategy passes, the note names the one it
	// reports with its costs.
	r = Recommend(costSummary("sqlite", 0, costRun("keyset-bulk", 2, 6, 0), costRun("set-based", 0.8, 70, 0),
		costRun("set-based-once", 0.5, 900, 0)), nil, nil)
	if !strings.Contains(r.SQL, "**set-based**") || !strings.Contains(r.SQL, "But no strategy in the database passed the cost rules, and for it: the application's p99 beside it was 70.0 ms") {
		t.Errorf("SQL note %q", r.SQL)
	}
	// When none passes, the fastest is named with its costs.
	r = Recommend(costSummary("postgres", 0, costRun("cursor", 9, 8, 8.5), costRun("paging-bulk", 3, 8, 0.1)), nil, nil)
	if r.Best != "paging-bulk" || !strings.Contains(r.Markdown(), "none passed every cost rule") {
		t.Errorf("Best %q, markdown:\n%s", r.Best, r.Markdown())
	}
}

// TestHeldRuleEitherAge: the held rule reads whichever age the server
// gives: MariaDB fills only the longest transaction, and on PostgreSQL a
// snapshot can be older than any transaction the watch saw.
func TestHeldRuleEitherAge(t *testing.T) {
	for _, c := range []struct {
		db  string
		srv summary.Server
	}{
		{"mariadb", summary.Server{LongestTransactionSeconds: 8.5}},
		{"postgres", summary.Server{LongestTransactionSeconds: 8.5}},
		{"postgres", summary.Server{OldestSnapshotSeconds: 8.5}},
	} {
		cursor := costRun("cursor", 9, 8, 0)
		cursor.Server = &c.srv
		r := Recommend(costSummary(c.db, 0, cursor, costRun("keyset-bulk", 2, 6, 0.1)), nil, nil)
		if want := "held one transaction or snapshot open for 8.50 s of its 9.00 s"; !strings.Contains(r.Costs["cursor"], want) {
			t.Errorf("%s, longest transaction %v s, oldest snapshot %v s: costs %q, want %q",
				c.db, c.srv.LongestTransactionSeconds, c.srv.OldestSnapshotSeconds, r.Costs["cursor"], want)
		}
	}
}

// TestAppRuleIsATest: a p99 above the limit moves a strategy down only when
// the probe's windows were above the limit significantly more often than
// idle; a spike in one window is noise, a stall over most windows is not.
func TestAppRuleIsATest(t *testing.T) {
	windows := func(name string, above, n int) []summary.ProbeWindow {
		var ws []summary.ProbeWindow
		for i := range n {
			p99 := 3.0
			if i < above {
				p99 = 300
			}
			ws = append(ws, summary.ProbeWindow{Strategy: name, Repeat: 1, T: float64(i) / 4, Ops: 50, P99Ms: p99})
		}
		return ws
	}
	s := costSummary("postgres", 0, costRun("keyset-bulk", 2, 63, 0.1), costRun("parallel-keyset", 3, 70, 0.1))
	s.ProbeWindows = append(windows(summary.IdleStrategy, 0, 20), windows("keyset-bulk", 1, 8)...)
	s.ProbeWindows = append(s.ProbeWindows, windows("parallel-keyset", 10, 12)...)
	r := Recommend(s, nil, nil)
	if c := r.Costs["keyset-bulk"]; strings.Contains(c, "p99") {
		t.Errorf("keyset-bulk: one window of 8 above the limit is noise, yet it costs %q", c)
	}
	if c := r.Costs["parallel-keyset"]; !strings.Contains(c, "in 10 of 12 windows of 250 ms against 0 of 20 idle (Fisher's exact test, p < 0.001)") {
		t.Errorf("parallel-keyset: costs %q, want the p99 rule with its test", c)
	}
	if r.Best != "keyset-bulk" {
		t.Errorf("Best = %q, want keyset-bulk", r.Best)
	}
}
