package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/iterbench/iterbench/internal/analysis"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/units"
)

// The cost rules' constants.
const (
	// HeldShare and HeldFloor define "holds one transaction or snapshot for
	// most of its run": longer than HeldShare of its duration and than
	// HeldFloor seconds (pt-online-schema-change's 1 s lock wait).
	HeldShare = 0.5
	HeldFloor = 1.0
)

// kindOf is the kind of database s was measured on ("mysql" in early
// results is MariaDB).
func kindOf(s *summary.Summary) database.Kind {
	k, _ := database.ParseKind(s.Config.Database)
	return k
}

// okRuns returns the uninterrupted ok runs of a strategy.
func okRuns(s *summary.Summary, name string) []summary.Run {
	var out []summary.Run
	for _, r := range s.Runs {
		if r.Strategy == name && r.Status == summary.StatusOK && r.Resume == nil {
			out = append(out, r)
		}
	}
	return out
}

// median of f over runs.
func median(runs []summary.Run, f func(summary.Run) float64) float64 {
	xs := make([]float64, 0, len(runs))
	for _, r := range runs {
		xs = append(xs, f(r))
	}
	return summary.NewStat(xs).Median
}

// held is how long a run held its longest transaction or snapshot open.
func held(r summary.Run) float64 {
	if r.Server == nil {
		return 0
	}
	return math.Max(r.Server.LongestTransactionSeconds, r.Server.OldestSnapshotSeconds)
}

// costReasons says why a strategy that finished correctly is ranked after
// those that pass every cost rule: the application's p99 beside it above
// the limit, one transaction or snapshot held for most of its run on a
// server, on a cluster the other nodes' lag above --max-lag, or no way to
// resume after a kill.
func costReasons(s *summary.Summary, name string) []string {
	runs := okRuns(s, name)
	if len(runs) == 0 {
		return nil
	}
	var out []string
	if limit, from := analysis.AppP99Limit(s); limit > 0 {
		var withProbe []summary.Run
		for _, r := range runs {
			if r.Probe != nil {
				withProbe = append(withProbe, r)
			}
		}
		p99 := median(withProbe, func(r summary.Run) float64 { return r.Probe.P99Ms })
		if harm := appHarm(s, name, withProbe, limit); len(withProbe) > 0 && p99 > limit && harm.Significant() {
			reason := fmt.Sprintf("the application's p99 beside it was %s, above the limit of %s (%s), %s",
				units.Millis(p99), units.Millis(limit), from, harm)
			if t := median(withProbe, func(r summary.Run) float64 { return float64(r.Probe.Timeouts) }); t > 0 {
				reason += fmt.Sprintf(", with a median of %.0f lock-wait timeouts per run", t)
			}
			out = append(out, reason)
		}
	}
	if kindOf(s) != database.SQLite {
		h := median(runs, held)
		d := median(runs, func(r summary.Run) float64 { return r.DurationSeconds })
		if h > HeldFloor && h > HeldShare*d {
			out = append(out, fmt.Sprintf("it held one transaction or snapshot open for %s of its %s (median): "+
				"vacuum (or purge) cannot remove the dead rows of anything younger meanwhile", units.Seconds(h), units.Seconds(d)))
		}
	}
	if reason := lagReason(s, name); reason != "" {
		out = append(out, reason)
	}
	if !s.RolesOf(name).Resumable {
		reason := "it cannot resume after a kill: it starts again from the first row"
		if rr := resumeRuns(s, name); len(rr) > 0 {
			reason += fmt.Sprintf(" (killed at %.0f %%, it redid %s rows and lost %s)", 100*s.Config.KillAt,
				units.Thousands(int64(median(rr, func(r summary.Run) float64 { return float64(r.Resume.RowsRedone) }))),
				units.Seconds(median(rr, func(r summary.Run) float64 { return r.Resume.TimeLostSeconds })))
		}
		out = append(out, reason)
	}
	return out
}

// appHarm tests whether the probe's windows during runs were above limit
// more often than idle (analysis.AppHarmOf). Without windows (a summary
// read without its probe.csv), the runs' p99 alone decides.
func appHarm(s *summary.Summary, name string, runs []summary.Run, limit float64) analysis.AppHarm {
	repeats := map[int]bool{}
	for _, r := range runs {
		repeats[r.Repeat] = true
	}
	h := analysis.AppHarmOf(s, name, repeats, limit)
	if h.Windows == 0 {
		h.P = 0
	}
	return h
}

// resumeRuns returns the ok runs of a strategy killed at --kill-at.
func resumeRuns(s *summary.Summary, name string) []summary.Run {
	var out []summary.Run
	for _, r := range s.Runs {
		if r.Strategy == name && r.Status == summary.StatusOK && r.Resume != nil {
			out = append(out, r)
		}
	}
	return out
}

// costTable renders the "cost to the database and the application" section:
// medians over each strategy's uninterrupted ok runs.
func costTable(s *summary.Summary) string {
	var probed, served bool
	for _, r := range s.Runs {
		probed = probed || r.Probe != nil
		served = served || r.Server != nil
	}
	if !probed && !served {
		return ""
	}
	var b strings.Builder
	b.WriteString("## Cost to the database and the application\n\n")
	db := kindOf(s)
	if p := s.IdleProbe; p != nil {
		fmt.Fprintf(&b, "An application probe ran beside every run on connections of its own: %.0f operations per second, half point `SELECT`s "+
			"by a random id and half single-row `UPDATE`s of `touched_at` (a column no strategy writes), each giving up after a 1 s lock wait. "+
			"Latency counts from when each operation was due, so waiting behind a blocked one counts. "+
			"Idle, with no strategy running, its p50 was %s, p99 %s, max %s over %s operations.\n\n",
			p.RatePerSecond, units.Millis(p.P50Ms), units.Millis(p.P99Ms), units.Millis(p.MaxMs), units.Thousands(p.Ops))
		if st := s.Config.ProbeStep; st > 0 {
			fmt.Fprintf(&b, "Its rate stepped up to %.0f operations per second (×%g, --probe-step) while each run did the middle third of its rows, "+
				"and back for the last third: its figures below are over the whole run, the step included (a strategy that reports its progress only at its end, as set-based-once, ran beside the probe's own rate throughout).\n\n", p.RatePerSecond*st, st)
		}
	}
	head := []string{"strategy", "probe p50", "probe p99", "p99 × idle", "probe max", "timeouts", "errors"}
	switch db {
	case database.Postgres:
		head = append(head, "longest transaction", "oldest snapshot", "WAL written", "dead rows after", "table + indexes after")
	case database.MariaDB:
		head = append(head, "longest transaction", "redo written", "largest history list")
	default:
		head = append(head, "probe's longest write", "largest WAL file", "file growth")
	}
	head = append(head, "resumable")
	kill := s.Config.KillAt > 0
	if kill {
		head = append(head, "rows redone", "time lost")
	}
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|---" + strings.Repeat("|---:", len(head)-1) + "|\n")
	for _, st := range s.Strategies {
		runs := okRuns(s, st.Name)
		if len(runs) == 0 {
			continue
		}
		med := func(f func(summary.Run) float64) float64 { return median(runs, f) }
		row := []string{st.Name}
		if runs[0].Probe != nil {
			p99 := med(func(r summary.Run) float64 { return r.Probe.P99Ms })
			ratio := "–"
			if s.IdleProbe != nil && s.IdleProbe.P99Ms > 0 {
				ratio = times(p99 / s.IdleProbe.P99Ms)
			}
			var to, er int64
			for _, r := range runs {
				to += r.Probe.Timeouts
				er += r.Probe.Errors
			}
			row = append(row, units.Millis(med(func(r summary.Run) float64 { return r.Probe.P50Ms })), units.Millis(p99), ratio,
				units.Millis(med(func(r summary.Run) float64 { return r.Probe.MaxMs })), units.Thousands(to), units.Thousands(er))
		} else {
			row = append(row, "–", "–", "–", "–", "–", "–")
		}
		srv := func(f func(*summary.Server) float64) float64 {
			return med(func(r summary.Run) float64 {
				if r.Server == nil {
					return 0
				}
				return f(r.Server)
			})
		}
		mib := func(v float64) string { return units.MiB(v) }
		switch db {
		case database.Postgres:
			row = append(row, units.Seconds(srv(func(x *summary.Server) float64 { return x.LongestTransactionSeconds })),
				units.Seconds(srv(func(x *summary.Server) float64 { return x.OldestSnapshotSeconds })),
				mib(srv(func(x *summary.Server) float64 { return float64(x.WALBytes) })),
				units.Thousands(int64(srv(func(x *summary.Server) float64 { return float64(x.DeadTuplesAfter) }))),
				mib(srv(func(x *summary.Server) float64 { return float64(x.SizeAfterBytes) })))
		case database.MariaDB:
			row = append(row, units.Seconds(srv(func(x *summary.Server) float64 { return x.LongestTransactionSeconds })),
				mib(srv(func(x *summary.Server) float64 { return float64(x.WALBytes) })),
				units.Thousands(int64(srv(func(x *summary.Server) float64 { return float64(x.HistoryListMax) }))))
		default:
			w := "–"
			if runs[0].Probe != nil {
				w = units.Millis(med(func(r summary.Run) float64 { return r.Probe.WriteMaxMs }))
			}
			row = append(row, w, mib(srv(func(x *summary.Server) float64 { return float64(x.WALMaxBytes) })),
				mib(srv(func(x *summary.Server) float64 { return float64(x.SizeAfterBytes - x.SizeBeforeBytes) })))
		}
		row = append(row, map[bool]string{true: "yes", false: "no"}[st.Roles.Resumable])
		if kill {
			if rr := resumeRuns(s, st.Name); len(rr) > 0 {
				row = append(row, units.Thousands(int64(median(rr, func(r summary.Run) float64 { return float64(r.Resume.RowsRedone) }))),
					units.Seconds(median(rr, func(r summary.Run) float64 { return r.Resume.TimeLostSeconds })))
			} else {
				row = append(row, "–", "–")
			}
		}
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	b.WriteString("\nMedians over each strategy's uninterrupted ok runs; timeouts and errors are totals over them. ")
	switch db {
	case database.Postgres:
		b.WriteString("The longest transaction and oldest snapshot are the largest ages, read every 100 ms from `pg_stat_activity` " +
			"(`xact_start`; a snapshot where `backend_xmin` is set), of the worker's sessions (its `application_name`). " +
			"WAL written is the difference of `pg_current_wal_lsn()` before and after, the probe's own writes included " +
			"(see the idle figure below); dead rows are `pg_stat_user_tables.n_dead_tup` once the worker's sessions have ended.\n")
	case database.MariaDB:
		b.WriteString("The longest transaction is the oldest entry of `information_schema.innodb_trx` other than the probe's, " +
			"aged from the first 100 ms reading that saw it, and no more than the time since its `trx_started`, which has whole seconds only; " +
			"an autocommit read is one statement, timed by `information_schema.processlist.time_ms`. Redo written is the difference of " +
			"`Innodb_lsn_current`; the history list is `Innodb_history_list_length`, undo that purge has not yet removed.\n")
	default:
		b.WriteString("SQLite has no view of other connections' transactions; the probe's longest write is how long its `UPDATE`s waited " +
			"for the one writer's lock. The WAL file is read every 100 ms; file growth is the database file's, before the next checkpoint.\n")
	}
	if srv := s.IdleServer; srv != nil && db == database.Postgres && s.IdleProbe != nil {
		fmt.Fprintf(&b, "\nIdle, the probe alone wrote %s of WAL in %s.\n", units.MiB(float64(srv.WALBytes)), units.Seconds(s.IdleProbe.Seconds))
	}
	for _, r := range s.Runs {
		if r.Server != nil && r.Server.Error != "" {
			fmt.Fprintf(&b, "\nNot every cost could be read: %s.\n", firstLine(r.Server.Error))
			break
		}
	}
	if kill {
		fmt.Fprintf(&b, "\nWith `--kill-at %g`, each repeat also ran every strategy once more, killed (SIGKILL) once it reported %.0f %% of the rows "+
			"and started again: the resumable ones continue from the progress they record in the same transaction as each batch, the others "+
			"start from the first row. Rows redone are the rows the table held written at the kill plus the rows the second worker wrote, less the table; "+
			"time lost is both workers' lifetimes less the median lifetime of the uninterrupted runs.\n", s.Config.KillAt, 100*s.Config.KillAt)
		for _, st := range s.Strategies {
			for _, r := range resumeRuns(s, st.Name) {
				if r.Resume.Note != "" {
					fmt.Fprintf(&b, "\n%s: %s.\n", st.Name, r.Resume.Note)
					break
				}
			}
		}
	}
	return b.String()
}
