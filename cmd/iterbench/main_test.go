package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/iterbench/iterbench/internal/cluster"
	"github.com/iterbench/iterbench/internal/worker/workertest"
)

// TestMain builds the worker binary the runs use. Started with
// $ITERBENCH_TEST_PARENT set, the test binary instead plays an iterbench
// process that starts a PostgreSQL container and waits to be killed; with
// $ITERBENCH_TEST_CLI set, it is iterbench itself, its arguments the CLI's.
func TestMain(m *testing.M) {
	if topo, ok := strings.CutPrefix(os.Getenv(parentEnv), "cluster-"); ok {
		os.Exit(playClusterParent(cluster.Topology(topo)))
	}
	if os.Getenv(parentEnv) != "" {
		os.Exit(playParent())
	}
	if os.Getenv(cliEnv) != "" {
		os.Exit(Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(workertest.Main(m))
}

func runCLI(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Main(ctx, args, &o, &e)
	return code, o.String(), e.String()
}

func TestBadInput(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "a-file")
	os.WriteFile(file, []byte("x"), 0o644)
	existing := filepath.Join(tmp, "existing")
	os.Mkdir(existing, 0o755)
	os.WriteFile(filepath.Join(existing, "keep.txt"), []byte("keep"), 0o644)

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "no command"},
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"rows zero", []string{"run", "--rows", "0"}, "--rows must be positive"},
		{"rows negative", []string{"run", "--rows", "-5"}, "--rows must be positive"},
		{"batch zero", []string{"run", "--batch", "0"}, "--batch must be positive"},
		{"repeats zero", []string{"run", "--repeats", "0"}, "--repeats must be positive"},
		{"interval zero", []string{"run", "--interval", "0s"}, "--interval must be positive"},
		{"unknown strategy", []string{"run", "--strategies", "paging,warp-drive"}, `unknown strategy "warp-drive"`},
		{"unknown db", []string{"run", "--db", "oracle"}, `unknown database "oracle"`},
		{"unknown flag", []string{"run", "--frobs", "3"}, "flag provided but not defined"},
		{"not a number", []string{"run", "--rows", "many"}, "invalid value"},
		{"stray argument", []string{"run", "extra"}, "unexpected argument"},
		{"unknown bulk form", []string{"run", "--bulk-form", "teleport"}, `bulk form "teleport"`},
		{"unknown layer", []string{"run", "--layers", "gorm,sqlx"}, `--layers: unknown layer "sqlx"`},
		{"no strategy on the layer", []string{"run", "--strategies", "cursor", "--layers", "driver"}, "none of the strategies has a form on it"},
		{"screen too small", []string{"run", "--screen", "1.1"}, "--screen must be 0 (off) or at least 1.5"},
		{"bad rss limit", []string{"run", "--rss-limit", "lots"}, `--rss-limit "lots" is not a size`},
		{"bad memory limit", []string{"run", "--memory-limit", "12 parsecs"}, `--memory-limit "12 parsecs" is not a size`},
		{"both limits", []string{"run", "--memory-limit", "128MiB", "--rss-limit", "128MiB"}, "not both"},
		{"gomemlimit auto without a limit", []string{"run", "--gomemlimit", "auto"}, "give --memory-limit or --rss-limit"},
		{"bad gomemlimit", []string{"run", "--gomemlimit", "lots"}, `--gomemlimit "lots" is neither off, auto nor a size`},
		{"rss limit below the baseline", []string{"run", "--rss-limit", "1MiB", "--rows", "500"}, "a worker that only connects has an RSS of"},
		{"a petabyte", []string{"run", "--rows", "1000000000000"}, "a table of 1,000,000,000,000 rows with 1,024-byte documents needs about"},
		{"a petabyte in a sweep", []string{"sweep", "--rows", "1000,1000000000000"}, "needs about"},
		{"payload beyond sqlite", []string{"run", "--rows", "2", "--payload", "1500000000"}, "is more than sqlite takes in one value"},
		{"payload range from zero", []string{"run", "--payload", "0..10"}, `want a size in bytes of at least 1, or MIN..MAX, got "0..10"`},
		{"payload range backwards", []string{"run", "--payload", "10..5"}, `MAX must be a size above MIN; got "10..5"`},
		{"payload range beyond sqlite", []string{"run", "--rows", "2", "--payload", "200..1500000000"}, "is more than sqlite takes in one value"},
		{"negative timeout", []string{"run", "--timeout", "-1s"}, "--timeout must not be negative"},
		{"workers zero", []string{"run", "--workers", "0"}, "--workers must be positive"},
		{"kill at one", []string{"run", "--kill-at", "1"}, "--kill-at is a share of the rows, above 0 and below 1"},
		{"kill at negative", []string{"run", "--kill-at", "-0.5"}, "--kill-at is a share of the rows"},
		{"min repeats zero", []string{"run", "--min-repeats", "0"}, "--min-repeats must be positive"},
		{"negative probe rate", []string{"run", "--probe-rate", "-5"}, "--probe-rate must be between 0 and 10000"},
		{"probe step below one", []string{"run", "--probe-step", "0.5"}, "--probe-step must be between 1 and 100"},
		{"probe step too fast", []string{"run", "--probe-rate", "1000", "--probe-step", "20"}, "at most 10000 operations per second, got 1000 × 20"},
		{"negative max app p99", []string{"run", "--max-app-p99", "-1ms"}, "--max-app-p99 must not be negative"},
		{"sweep bad rows", []string{"sweep", "--rows", "1000,x"}, `"x" is not a positive number`},
		{"sweep zero rows", []string{"sweep", "--rows", "0"}, `"0" is not a positive number`},
		{"db and dsn disagree", []string{"run", "--db", "postgres", "--dsn", filepath.Join(tmp, "x.db")}, "does not match"},
		{"unwritable out", []string{"run", "--out", filepath.Join(file, "sub")}, "is not a folder"},
		{"sqlite dsn cannot open", []string{"run", "--dsn", filepath.Join(tmp, "no", "such", "dir", "x.db")}, "connect to sqlite"},
		{"postgres dsn cannot connect", []string{"run", "--dsn", "postgres://bob:s3cr3tpw@127.0.0.1:1/db?connect_timeout=2"}, "connect to postgres"},
		{"mysql dsn cannot connect", []string{"run", "--dsn", "mysql://bob:s3cr3tpw@127.0.0.1:1/db"}, "connect to mariadb"},
		{"password query parameter cannot connect", []string{"run", "--dsn", "postgres://bob@127.0.0.1:1/db?password=s3cr3tpw&connect_timeout=2"}, "connect to postgres"},
		{"libpq keywords cannot connect", []string{"run", "--dsn", "host=127.0.0.1 port=1 user=bob password=s3cr3tpw dbname=db connect_timeout=2"}, "connect to postgres"},
		{"go-sql-driver dsn cannot connect", []string{"run", "--dsn", "bob:s3cr3tpw@tcp(127.0.0.1:1)/db"}, "connect to mariadb"},
		{"unknown dsn scheme", []string{"run", "--dsn", "sqlserver://sa:s3cr3tpw@db/app"}, "not sqlserver://"},
		{"seed needs a file", []string{"seed"}, "needs --dsn"},
		{"plot without folder", []string{"plot"}, "needs one results folder"},
		{"plot of empty folder", []string{"plot", tmp}, "summary.json"},
		{"out the current folder", []string{"run", "--rows", "100", "--out", "."}, "--out .: holds the current folder"},
		{"out a parent of the current folder", []string{"run", "--rows", "100", "--out", ".."}, "holds the current folder"},
		{"out the root", []string{"run", "--rows", "100", "--out", "/"}, "--out /: is the root folder"},
		{"sweep out the current folder", []string{"sweep", "--rows", "100", "--out", "."}, "holds the current folder"},
		{"misspelt flag", []string{"run", "--strategy", "keyset"}, "did you mean --strategies?"},
		{"misspelt strategy", []string{"run", "--strategies", "keyset-blk"}, `unknown strategy "keyset-blk" (did you mean keyset-bulk?)`},
		{"rows with an unknown unit", []string{"run", "--rows", "5x"}, `"5x" is not a count`},
		{"rows not whole", []string{"run", "--rows", "1.5"}, "not a whole number"},
		{"target below rows", []string{"run", "--rows", "500", "--target-rows", "100"}, "--target-rows 100 must be larger than --rows 500"},
		{"target not a count", []string{"run", "--target-rows", "lots"}, `"lots" is not a count`},
		{"sweep rows with an unknown unit", []string{"sweep", "--rows", "1k,2q"}, `"2q" is not a positive number`},
		{"unknown topology", []string{"run", "--topology", "ring"}, `--topology "ring": want single, replica (PostgreSQL) or galera (MariaDB)`},
		{"topology on the wrong database", []string{"run", "--db", "sqlite", "--topology", "replica"}, "--topology replica runs on postgres, not sqlite"},
		{"galera on postgres", []string{"run", "--db", "postgres", "--topology", "galera"}, "--topology galera runs on mariadb, not postgres"},
		{"topology with a dsn", []string{"run", "--dsn", "postgres://bob:s3cr3tpw@127.0.0.1:1/db", "--topology", "replica"}, "give the other node as --replica-dsn"},
		{"replica dsn without dsn", []string{"run", "--db", "postgres", "--replica-dsn", "postgres://bob:s3cr3tpw@127.0.0.1:2/db"}, "needs --dsn: the server it replicates"},
		{"replica dsn of another kind", []string{"run", "--dsn", "postgres://bob:s3cr3tpw@127.0.0.1:1/db", "--replica-dsn", "mysql://bob:s3cr3tpw@127.0.0.1:2/db"}, "is mariadb, but --dsn is postgres"},
		{"replica dsn on sqlite", []string{"run", "--dsn", filepath.Join(tmp, "x.db"), "--replica-dsn", filepath.Join(tmp, "y.db")}, "is sqlite, but --dsn is sqlite"},
		{"replica dsn against the topology", []string{"run", "--dsn", "postgres://bob:s3cr3tpw@127.0.0.1:1/db", "--replica-dsn", "postgres://bob:s3cr3tpw@127.0.0.1:2/db", "--topology", "galera"}, "--topology galera does not match --replica-dsn"},
		{"max lag zero", []string{"run", "--max-lag", "0s"}, "--max-lag must be positive"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(tmp, "out-"+strings.ReplaceAll(c.name, " ", "-"))
			args := c.args
			if len(args) > 0 && (args[0] == "run" || args[0] == "sweep") && !contains(args, "--out") {
				args = append(args, "--out", out)
			}
			code, stdout, stderr := runCLI(context.Background(), args...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "iterbench: ") || !strings.Contains(last, c.want) {
				t.Errorf("stderr %q, want one line containing %q", stderr, c.want)
			}
			if c.name != "no command" && len(lines) != 1 {
				t.Errorf("stderr has %d lines, want 1: %q", len(lines), stderr)
			}
			if strings.Contains(stderr+stdout, "s3cr3tpw") {
				t.Errorf("the password was printed: %q", stderr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("the output folder was created")
			}
			if entries, _ := os.ReadDir(existing); len(entries) != 1 {
				t.Errorf("an existing folder changed")
			}
		})
	}
}

// TestRowCounts: --rows takes counts as people write them.
func TestRowCounts(t *testing.T) {
	for in, want := range map[string]int{"5k": 5000, "1.5M": 1_500_000, "30M": 30_000_000, "50_000": 50000} {
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		rows := rowsFlag(fs, 7, "rows")
		if err := fs.Parse([]string{"--rows", in}); err != nil || *rows != want {
			t.Errorf("--rows %s: %d, %v; want %d", in, *rows, err, want)
		}
	}
	sizes, err := parseRows("10k, 50k,1M")
	if err != nil || !slices.Equal(sizes, []int{10000, 50000, 1_000_000}) {
		t.Errorf("parseRows: %v, %v", sizes, err)
	}
}

// TestHelp: every command's help names its arguments, says what it does,
// and has no empty section.
func TestHelp(t *testing.T) {
	for _, c := range []struct{ cmd, usage string }{
		{"run", "usage: iterbench run [flags]\n"}, {"sweep", "usage: iterbench sweep [flags]\n"},
		{"seed", "usage: iterbench seed [flags]\n"}, {"plot", "usage: iterbench plot DIR\n"},
		{"compare", "usage: iterbench compare [flags] DIR DIR...\n"}, {"list", "usage: iterbench list\n"},
		{"clean", "usage: iterbench clean\n"},
	} {
		code, stdout, _ := runCLI(context.Background(), c.cmd, "-h")
		if code != exitOK || !strings.HasPrefix(stdout, c.usage) {
			t.Errorf("%s -h: exit %d, %q; want it to start with %q", c.cmd, code, stdout, c.usage)
		}
		if _, what := synopsis(c.cmd); what == "" || !strings.Contains(stdout, what) {
			t.Errorf("%s -h does not say what the command does: %q", c.cmd, stdout)
		}
		if strings.HasSuffix(strings.TrimSpace(stdout), "flags:") {
			t.Errorf("%s -h ends in an empty flags section: %q", c.cmd, stdout)
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestBadInputLeavesExistingOutputAlone(t *testing.T) {
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "summary.json"), []byte("old"), 0o644)
	code, _, _ := runCLI(context.Background(), "run", "--rows", "0", "--out", out)
	if code != exitUsage {
		t.Fatalf("exit code %d", code)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "summary.json")); string(b) != "old" {
		t.Errorf("summary.json was changed to %q", b)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("the folder holds %d entries, want 1", len(entries))
	}
}

func TestSeedAndList(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "seed.db")
	code, stdout, stderr := runCLI(context.Background(), "seed", "--dsn", dsn, "--rows", "1234")
	if code != exitOK || !strings.Contains(stdout, "seeded 1,234 rows") {
		t.Fatalf("seed: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(context.Background(), "list")
	if code != exitOK || !strings.Contains(stdout, "load-all") || !strings.Contains(stdout, "paging-bulk") {
		t.Errorf("list: exit %d, %q", code, stdout)
	}
	code, stdout, _ = runCLI(context.Background(), "run", "-h")
	if code != exitOK || !strings.Contains(stdout, "-rows") {
		t.Errorf("run -h: exit %d, %q", code, stdout)
	}
}
