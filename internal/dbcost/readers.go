package dbcost

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/summary"
)

// postgres reads pg_current_wal_lsn, pg_stat_activity and
// pg_stat_user_tables.
type postgres struct {
	table string
	lsn   string
}

// pgSize is the size of the table named by the query's parameter $1, with
// its indexes.
const pgSize = "pg_table_size(quote_ident($1)) + pg_indexes_size(quote_ident($1))"

func (p *postgres) before(ctx context.Context, c *sql.Conn, s *summary.Server) error {
	return c.QueryRowContext(ctx, "SELECT pg_current_wal_lsn()::text, "+pgSize, p.table).Scan(&p.lsn, &s.SizeBeforeBytes)
}

// sample reads the age of the worker's oldest transaction, and of its
// oldest one that holds a snapshot back (backend_xmin set).
func (p *postgres) sample(ctx context.Context, c *sql.Conn, s *summary.Server) error {
	var xact, snap float64
	err := c.QueryRowContext(ctx, `SELECT
	coalesce(extract(epoch FROM max(clock_timestamp() - xact_start)), 0)::float8,
	coalesce(extract(epoch FROM max(clock_timestamp() - xact_start) FILTER (WHERE backend_xmin IS NOT NULL)), 0)::float8
FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND xact_start IS NOT NULL`,
		database.WorkerApp).Scan(&xact, &snap)
	if err != nil {
		return err
	}
	s.LongestTransactionSeconds = max(s.LongestTransactionSeconds, xact)
	s.OldestSnapshotSeconds = max(s.OldestSnapshotSeconds, snap)
	return nil
}

// after waits (up to 5 s) for the worker's sessions to end, so that their
// statistics are flushed, then reads the WAL written, the size and the dead
// rows.
func (p *postgres) after(ctx context.Context, c *sql.Conn, s *summary.Server) error {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var n int
		if err := c.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", database.WorkerApp).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	if _, err := c.ExecContext(ctx, "SELECT pg_stat_clear_snapshot()"); err != nil {
		return err
	}
	return c.QueryRowContext(ctx, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $2::pg_lsn)::bigint, "+pgSize+
		", coalesce((SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = $1), 0)", p.table, p.lsn).
		Scan(&s.WALBytes, &s.SizeAfterBytes, &s.DeadTuplesAfter)
}

// mariadb reads InnoDB's log sequence number, history list length and
// information_schema.innodb_trx.
//
// innodb_trx.trx_started has whole seconds only, so a transaction's age is
// taken from when a reading first saw it (short by up to one interval),
// capped by the time since trx_started; an autocommit read is one statement,
// timed by the processlist (read-only transactions reuse their trx_id on a
// connection, so that sightings of several short ones would add up).
type mariadb struct {
	table   string
	exclude []int64
	lsn     int64
	seen    map[string]time.Time
}

const myLSN = "SELECT variable_value FROM information_schema.global_status WHERE variable_name = 'INNODB_LSN_CURRENT'"

// mySize is the size of the table named by the query's parameter, with
// its indexes.
const mySize = "SELECT coalesce(sum(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"

func (m *mariadb) before(ctx context.Context, c *sql.Conn, s *summary.Server) error {
	if err := c.QueryRowContext(ctx, myLSN).Scan(&m.lsn); err != nil {
		return fmt.Errorf("read Innodb_lsn_current: %w", err)
	}
	return c.QueryRowContext(ctx, mySize, m.table).Scan(&s.SizeBeforeBytes)
}

func (m *mariadb) sample(ctx context.Context, c *sql.Conn, s *summary.Server) error {
	ids := []string{"CONNECTION_ID()"}
	for _, id := range m.exclude {
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	var hist int64
	if err := c.QueryRowContext(ctx, "SELECT variable_value FROM information_schema.global_status WHERE variable_name = 'INNODB_HISTORY_LIST_LENGTH'").Scan(&hist); err != nil {
		return fmt.Errorf("read Innodb_history_list_length: %w", err)
	}
	s.HistoryListMax = max(s.HistoryListMax, hist)
	rows, err := c.QueryContext(ctx, "SELECT t.trx_mysql_thread_id, t.trx_id, t.trx_started, t.trx_autocommit_non_locking, "+
		"TIMESTAMPDIFF(MICROSECOND, t.trx_started, NOW(6)) / 1e6, coalesce(p.time_ms, 0) / 1e3 "+
		"FROM information_schema.innodb_trx t LEFT JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id "+
		"WHERE t.trx_mysql_thread_id NOT IN ("+strings.Join(ids, ", ")+")")
	if err != nil {
		return fmt.Errorf("read information_schema.innodb_trx (needs the PROCESS privilege): %w", err)
	}
	defer rows.Close()
	now := time.Now()
	if m.seen == nil {
		m.seen = map[string]time.Time{}
	}
	for rows.Next() {
		var thread, id, started string
		var autocommitRead bool
		var sinceStart, statement float64
		if err := rows.Scan(&thread, &id, &started, &autocommitRead, &sinceStart, &statement); err != nil {
			return err
		}
		if autocommitRead {
			// One statement is the transaction: the processlist times it
			// to the millisecond.
			s.LongestTransactionSeconds = max(s.LongestTransactionSeconds, statement)
			continue
		}
		key := thread + "/" + id + "/" + started
		first, ok := m.seen[key]
		if !ok {
			m.seen[key], first = now, now
		}
		// Seen-for is short of the age by up to one interval; since-start
		// is long by up to a second (trx_started is truncated) and caps it.
		s.LongestTransactionSeconds = max(s.LongestTransactionSeconds, min(now.Sub(first).Seconds(), sinceStart))
	}
	return rows.Err()
}

func (m *mariadb) after(ctx context.Context, c *sql.Conn, s *summary.Server) error {
	var lsn int64
	if err := c.QueryRowContext(ctx, myLSN).Scan(&lsn); err != nil {
		return fmt.Errorf("read Innodb_lsn_current: %w", err)
	}
	s.WALBytes = lsn - m.lsn
	return c.QueryRowContext(ctx, mySize, m.table).Scan(&s.SizeAfterBytes)
}

// sqlite reads the sizes of the database file and its -wal file.
type sqlite struct {
	path string
}

func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func (q *sqlite) before(_ context.Context, _ *sql.Conn, s *summary.Server) error {
	var err error
	s.SizeBeforeBytes, err = fileSize(q.path)
	return err
}

func (q *sqlite) sample(_ context.Context, _ *sql.Conn, s *summary.Server) error {
	n, err := fileSize(q.path + "-wal")
	s.WALMaxBytes = max(s.WALMaxBytes, n)
	return err
}

func (q *sqlite) after(ctx context.Context, c *sql.Conn, s *summary.Server) error {
	if err := q.sample(ctx, c, s); err != nil {
		return err
	}
	var err error
	s.SizeAfterBytes, err = fileSize(q.path)
	return err
}

// CgroupCPU returns a reader of the CPU time, in seconds, used so far by
// the processes of pid's cgroup under root (normally /sys/fs/cgroup): a
// container's, from its init process. cgroup v1: cpuacct.usage of the
// cpuacct hierarchy; v2: usage_usec of cpu.stat.
func CgroupCPU(root string, pid int) (func() (float64, error), error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return nil, fmt.Errorf("find the cgroup of process %d: %w", pid, err)
	}
	return cgroupCPU(root, b)
}

// cgroupCPU is CgroupCPU on the contents of a /proc/PID/cgroup file.
func cgroupCPU(root string, procCgroup []byte) (func() (float64, error), error) {
	unified := ""
	for _, line := range strings.Split(strings.TrimSpace(string(procCgroup)), "\n") {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			unified = parts[2]
			continue
		}
		if slices.Contains(strings.Split(parts[1], ","), "cpuacct") {
			path := filepath.Join(root, "cpuacct", parts[2], "cpuacct.usage")
			return func() (float64, error) {
				b, err := os.ReadFile(path)
				if err != nil {
					return 0, err
				}
				ns, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
				return float64(ns) / 1e9, err
			}, nil
		}
	}
	if unified == "" {
		return nil, fmt.Errorf("no cpuacct cgroup in %q", strings.TrimSpace(string(procCgroup)))
	}
	path := filepath.Join(root, unified, "cpu.stat")
	return func() (float64, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return 0, err
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "usage_usec "); ok {
				us, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
				return float64(us) / 1e6, err
			}
		}
		return 0, fmt.Errorf("no usage_usec in %s", path)
	}, nil
}
