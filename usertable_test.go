package iterbench_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench"
	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/source"
	"github.com/iterbench/iterbench/internal/summary"
)

// TestMain makes the test binary iterbench's worker (iterbench.Main); with
// $ITERBENCH_TEST_COMMAND set, a program of the user's own whose main is
// iterbench.Command for the customers job (keyed by
// $ITERBENCH_TEST_USER_KEY); with $ITERBENCH_TEST_RUN_CHILD, the process
// TestRunKilled kills (runChild).
func TestMain(m *testing.M) {
	if path := os.Getenv(runChildEnv); path != "" {
		os.Exit(runChild(path))
	}
	if os.Getenv(commandEnv) != "" {
		os.Exit(iterbench.Command(context.Background(), customersKeyed(), iterbench.Options{}, os.Args[1:], os.Stdout, os.Stderr))
	}
	iterbench.Main(m)
}

// customersKeyed is customers, keyed by $ITERBENCH_TEST_USER_KEY if set.
func customersKeyed() iterbench.Job[customer] {
	j := customers
	if k := os.Getenv(keyEnv); k != "" {
		j.Key = []string{k}
	}
	return j
}

// customer is a row of a table of the user's own, which iterbench may
// read but never write.
type customer struct {
	ID    int64   `gorm:"primaryKey;autoIncrement:false"`
	Email string  `gorm:"not null;size:100"`
	Nick  *string `gorm:"size:100"`
	Score int64   `gorm:"not null;default:0;index"`
}

func (customer) TableName() string { return "customers" }

// customers recomputes each customer's score from the email's length.
var customers = iterbench.Job[customer]{
	Name:    "customers",
	Read:    []string{"id", "email"},
	Write:   []string{"score"},
	Compute: func(c *customer) error { c.Score = int64(len(c.Email)) + 1; return nil },
	SQL: map[string]string{
		"sqlite":   "score = length(email) + 1",
		"postgres": "score = length(email) + 1",
		"mariadb":  "score = CHAR_LENGTH(email) + 1",
	},
}

// Environment of BenchmarkUserTable, set by TestUserTable.
const (
	dsnEnv     = "ITERBENCH_TEST_USER_DSN"
	keyEnv     = "ITERBENCH_TEST_USER_KEY"
	commandEnv = "ITERBENCH_TEST_COMMAND"
	outEnv     = "ITERBENCH_TEST_USER_OUT"
)

// BenchmarkUserTable measures the customers job on the table at
// $ITERBENCH_TEST_USER_DSN, keyed by $ITERBENCH_TEST_USER_KEY (default: the
// primary key); TestUserTable runs it in a child process.
func BenchmarkUserTable(b *testing.B) {
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		b.Skip("run by TestUserTable")
	}
	iterbench.Bench(b, customersKeyed(), iterbench.Options{DSN: dsn, Repeats: 1, Batch: 100, ProbeRate: 100,
		Strategies: []string{"keyset-bulk", "cursor", "set-based"}, Out: os.Getenv(outEnv)})
}

// TestUserTable points iterbench at a table of the user's own, by DSN: it
// must measure on a copy, leave the table exactly as it was, drop the copy,
// and refuse a key that is not unique or allows NULL in one line.
func TestUserTable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts workers")
	}
	dsns := map[database.Kind]func(t *testing.T) string{
		database.SQLite: func(t *testing.T) string { return filepath.Join(t.TempDir(), "user.db") },
	}
	for _, k := range []database.Kind{database.Postgres, database.MariaDB} {
		dsns[k] = func(t *testing.T) string { return containertest.Start(t, k).DSN }
	}
	for _, kind := range database.Kinds() {
		t.Run("db="+string(kind), func(t *testing.T) {
			ctx := context.Background()
			dsn := dsns[kind](t)
			db, err := database.Open(ctx, kind, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer database.Close(db)
			if err := db.AutoMigrate(&customer{}); err != nil {
				t.Fatal(err)
			}
			var rows []customer
			for i := range 1234 {
				nick := fmt.Sprintf("n%d", i)
				rows = append(rows, customer{ID: int64(i + 1), Email: fmt.Sprintf("user%d@%s.example", i%500, strings.Repeat("x", i%500%17)), Nick: &nick})
			}
			if err := db.CreateInBatches(&rows, 200).Error; err != nil {
				t.Fatal(err)
			}
			before := checksum(t, db)

			results := filepath.Join(t.TempDir(), "results")
			t.Setenv(outEnv, results)
			out := runUserTable(t, dsn, "", 0)
			// The application probe ran beside every pass, on the copy,
			// with the user's key.
			s, _, err := summary.Read(results)
			if err != nil {
				t.Fatal(err)
			}
			// A fast pass sees only a few operations, perhaps no write: the
			// writes are counted over all passes.
			wrote := false
			for _, r := range s.Runs {
				if r.Probe == nil || r.Probe.Ops == 0 || r.Probe.Errors != 0 {
					t.Errorf("%s: probe %+v; want operations, no error", r.Strategy, r.Probe)
				}
				wrote = wrote || r.Probe != nil && r.Probe.WriteMaxMs > 0
				// The server's cost is read on the copy.
				if kind != database.SQLite && (r.Server == nil || r.Server.Error != "" || r.Server.SizeAfterBytes == 0) {
					t.Errorf("%s: server cost %+v; want the copy's size", r.Strategy, r.Server)
				}
			}
			if !wrote {
				t.Error("the probe wrote nothing beside any pass")
			}
			for _, s := range []string{"keyset-bulk", "cursor", "set-based"} {
				if !regexp.MustCompile(`(?m)^BenchmarkUserTable/strategy=` + s + `-\d+\s+1\s+\d+ ns/op\s+[1-9]\d* peak-RSS-bytes`).MatchString(out) {
					t.Errorf("no result line for %s:\n%s", s, out)
				}
			}
			if after := checksum(t, db); after != before {
				t.Errorf("the user's table changed: checksum %s before, %s after", before, after)
			}
			tables, err := db.Migrator().GetTables()
			if err != nil {
				t.Fatal(err)
			}
			for _, tb := range tables {
				if strings.HasPrefix(tb, "iterbench_") {
					t.Errorf("table %s was left behind", tb)
				}
			}

			// A key that is not unique, and one that allows NULL: refused
			// in one line naming the column, before anything is copied.
			for key, want := range map[string]string{
				"email": `job customers: key \(email\) of customers is not unique: \[user\d+@x*\.example\] appears more than once`,
				"nick":  `job customers: key column nick of customers allows NULL; a key must be NOT NULL`,
			} {
				out := runUserTable(t, dsn, key, 1)
				if !regexp.MustCompile(`(?m)^\s+bench\.go:\d+: ` + want).MatchString(out) {
					t.Errorf("key %s: want the line %q, got:\n%s", key, want, out)
				}
				if db.Migrator().HasTable(source.CopyPrefix + "customers") {
					t.Errorf("key %s: a copy was made", key)
				}
				// The same from a program of the user's own (iterbench.Command):
				// that one line on stderr, exit 2.
				stdout, stderr, code := runCommand(t, key, "-dsn", dsn)
				if code != 2 || stdout != "" || !regexp.MustCompile(`^`+want+`\n$`).MatchString(stderr) {
					t.Errorf("command, key %s: exit %d, stdout %q, stderr %q; want 2 and the one line %q", key, code, stdout, stderr, want)
				}
			}
			// A program of the user's own measures too: the verdict on
			// stdout, exit 0, the table untouched.
			stdout, stderr, code := runCommand(t, "", "-dsn", dsn, "-strategies", "keyset-bulk,cursor", "-repeats", "1")
			if code != 0 || !strings.Contains(stdout, "keyset-bulk") {
				t.Errorf("command: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			if code, _, stderr := runCommandCode(t, "", "-dsn", dsn, "-rows", "many"); code != 2 || strings.Count(stderr, "\n") != 1 {
				t.Errorf("command with a bad flag: exit %d, stderr %q; want 2 and one line", code, stderr)
			}
			if after := checksum(t, db); after != before {
				t.Errorf("the user's table changed: checksum %s before, %s after", before, after)
			}
		})
	}
}

// runCommand runs the test binary as the user's program (iterbench.Command
// for customers keyed by key) with args.
func runCommand(t *testing.T, key string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
	cmd.Env = append(os.Environ(), commandEnv+"=1", keyEnv+"="+key)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if cmd.ProcessState == nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), cmd.ProcessState.ExitCode()
}

// runCommandCode is runCommand with the exit code first.
func runCommandCode(t *testing.T, key string, args ...string) (int, string, string) {
	t.Helper()
	o, e, c := runCommand(t, key, args...)
	return c, o, e
}

// runUserTable runs BenchmarkUserTable in a child process and returns its
// output, failing t unless it exits with code.
func runUserTable(t *testing.T, dsn, key string, code int) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$", "-test.bench=^BenchmarkUserTable$", "-test.benchtime=1x")
	cmd.Env = append(os.Environ(), dsnEnv+"="+dsn, keyEnv+"="+key)
	b, err := cmd.CombinedOutput()
	if got := cmd.ProcessState.ExitCode(); got != code {
		t.Fatalf("BenchmarkUserTable (key %q) exited with %d (%v), want %d:\n%s", key, got, err, code, b)
	}
	return string(b)
}

// checksum hashes every row of customers, in key order.
func checksum(t *testing.T, db *gorm.DB) string {
	t.Helper()
	var all []customer
	if err := db.Order("id").Find(&all).Error; err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, c := range all {
		fmt.Fprintf(h, "%d|%s|%v|%d\n", c.ID, c.Email, *c.Nick, c.Score)
	}
	return fmt.Sprintf("%d rows, %x", len(all), h.Sum(nil)[:8])
}
