package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"strings"
	"testing"

	"github.com/testcontainers/testcontainers-go/log"

	"github.com/iterbench/iterbench/internal/cluster"
	"github.com/iterbench/iterbench/internal/container"
	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/summary"
)

func TestRunInContainers(t *testing.T) {
	for _, kind := range []database.Kind{database.Postgres, database.MariaDB} {
		t.Run("db="+string(kind), func(t *testing.T) {
			// Start (and stop) a server first: it skips when no image can be had.
			containertest.Start(t, kind).Terminate(context.Background())
			out := filepath.Join(t.TempDir(), "results")
			code, stdout, stderr := runCLI(context.Background(), "run", "--db", string(kind), "--rows", "1500",
				"--repeats", "1", "--strategies", "cursor,keyset-bulk", "--kill-at", "0.5", "--batch", "100",
				"--image", container.Image(kind), "--out", out)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if strings.Contains(stdout+stderr, "iterbench-pw") {
				t.Error("the password was printed")
			}
			s, _, err := summary.Read(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Runs) != 4 || s.IdleProbe == nil || s.IdleProbe.Ops == 0 || s.IdleServer == nil {
				t.Fatalf("%d runs (want 2 uninterrupted, 2 killed and resumed), idle probe %+v, idle server %+v", len(s.Runs), s.IdleProbe, s.IdleServer)
			}
			for _, r := range s.Runs {
				if r.Status != summary.StatusOK || r.WrongRows != 0 {
					t.Errorf("%s: %s, %d wrong: %s", r.Strategy, r.Status, r.WrongRows, r.Error)
				}
				// The probe and the server's cost, read on each database.
				if r.Probe == nil || r.Probe.Ops == 0 || r.Server == nil || r.Server.Error != "" || r.Server.Samples == 0 || r.Server.WALBytes <= 0 {
					t.Errorf("%s: probe %+v, server %+v", r.Strategy, r.Probe, r.Server)
				}
				if r.Resume == nil {
					continue
				}
				// Killed at half the rows: keyset-bulk resumes within one
				// batch, cursor redoes what it had done.
				switch res := r.Resume; {
				case res.DoneAtKill < 750 || res.DoneAtKill >= 1500:
					t.Errorf("%s: killed with %d rows done, want from 750", r.Strategy, res.DoneAtKill)
				case r.Strategy == "keyset-bulk" && (!res.Resumed || !sameKey(res.ResumedFrom["items/keyset-bulk"], res.DoneAtKill) || res.RowsRedone > 100):
					// Its second worker found the last key of the last batch
					// committed: with ids 1..N, the rows done at the kill.
					t.Errorf("keyset-bulk: resumed %v from %v with %d rows done at the kill, %d rows redone", res.Resumed, res.ResumedFrom, res.DoneAtKill, res.RowsRedone)
				case r.Strategy == "cursor" && (res.Resumed || len(res.ResumedFrom) != 0 || res.RowsRedone != res.DoneAtKill):
					t.Errorf("cursor: resumed %v from %v, %d rows redone of %d", res.Resumed, res.ResumedFrom, res.RowsRedone, res.DoneAtKill)
				}
			}
			report, _ := os.ReadFile(filepath.Join(out, "REPORT.md"))
			for _, want := range []string{"## Cost to the database and the application", "probe-p99-over-time.png", "cannot resume after a kill"} {
				if !bytes.Contains(report, []byte(want)) {
					t.Errorf("REPORT.md lacks %q", want)
				}
			}
			if s.Config.Image != container.Image(kind) || s.Config.StartSeconds <= 0 || s.Config.ServerCommand == "" {
				t.Errorf("config does not describe the container: %+v", s.Config)
			}
			// The container is gone: its address no longer answers.
			if db, err := database.Open(context.Background(), kind, strings.Replace(s.Config.DSN, "xxxxx", "iterbench-pw", 1)); err == nil {
				database.Close(db)
				t.Error("the container still answers after the run")
			}
		})
	}
}

func TestMissingImage(t *testing.T) {
	containertest.RequireDocker(t)
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(context.Background(), "run", "--db", "postgres", "--image", "github.com/iterbench/iterbench/never-built:0", "--out", out)
	if code != exitUsage || !strings.Contains(stderr, "make images") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want exit 2 and one line naming make images", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("the output folder was created")
	}
}

// TestNoDocker fakes a machine without Docker: the container cannot start.
func TestNoDocker(t *testing.T) {
	var f benchFlags
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	f.register(fs, 1)
	f.start = func(context.Context, database.Kind, string, log.Logger) (*container.Server, error) {
		return nil, fmt.Errorf("%w: dial unix /var/run/docker.sock: connect: no such file or directory", container.ErrNoDocker)
	}
	_, tg, err := f.open(context.Background(), database.Postgres, cluster.Single, io.Discard)
	tg.cleanup()
	var ue usageError
	if err == nil || !asUsage(err, &ue) {
		t.Fatalf("err = %v, want a usage error", err)
	}
	for _, want := range []string{"docker is not reachable", "--db sqlite", "--dsn"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

// TestMemoryLimitBadInput: a limit the baseline worker cannot fit in is bad
// input: one line, exit 2, nothing written. (--memory-limit without Docker
// is TestMemoryLimitWithoutDocker: Docker cannot be hidden from a process
// here, as testcontainers falls back to /var/run/docker.sock whatever
// $DOCKER_HOST names.)
func TestMemoryLimitBadInput(t *testing.T) {
	containertest.RequireDocker(t)
	for _, c := range []struct {
		name, limit, want string
	}{
		{"below the baseline", "8MiB", "a worker that only connects"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			code, _, stderr := runCLI(context.Background(), "run", "--rows", "500", "--memory-limit", c.limit, "--out", out)
			if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line containing %q", code, stderr, c.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Error("the output folder was created")
			}
		})
	}
}

// TestMemoryLimitWithoutDocker fakes a machine without Docker: the worker
// containers cannot start, and the message names --rss-limit.
func TestMemoryLimitWithoutDocker(t *testing.T) {
	var f benchFlags
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	f.register(fs, 1)
	f.newWorkers = func(context.Context, string, uint64, []string) (*container.Workers, error) {
		return nil, fmt.Errorf("%w: dial unix /var/run/docker.sock: connect: no such file or directory", container.ErrNoDocker)
	}
	if err := fs.Parse([]string{"--memory-limit", "128MiB"}); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := f.config(fs, "")
	if err != nil {
		t.Fatal(err)
	}
	_, tg, _, err := f.connect(context.Background(), &cfg, 1000, io.Discard)
	tg.cleanup()
	var ue usageError
	if err == nil || !asUsage(err, &ue) || !strings.Contains(err.Error(), "use --rss-limit") {
		t.Fatalf("err = %v, want a usage error naming --rss-limit", err)
	}
}

// TestMemoryLimitRun runs through the CLI under --memory-limit: load-all is
// OOM-killed by the kernel, keyset-bulk fits, and the results say so.
func TestMemoryLimitRun(t *testing.T) {
	containertest.RequireDocker(t)
	out := filepath.Join(t.TempDir(), "limited")
	code, stdout, stderr := runCLI(context.Background(), "run", "--rows", "4000", "--payload", "16384", "--batch", "100",
		"--repeats", "1", "--strategies", "load-all,keyset-bulk", "--memory-limit", "64MiB", "--gomemlimit", "auto", "--out", out)
	if code != exitOK {
		if s, _, err := summary.Read(out); err == nil {
			for _, r := range s.Runs {
				t.Logf("%s: %s, exit %d, Docker's OOMKilled %v: %s", r.Strategy, r.Status, r.ExitCode, r.OOMKilled, r.Error)
			}
		}
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "0/1 oom-killed") {
		t.Errorf("stdout does not show the kill:\n%s", stdout)
	}
	s, _, err := summary.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if s.Config.MemoryLimitBytes != 64<<20 || s.Config.LimitEnforcedBy != summary.EnforcedByKernel || s.Config.GoMemLimit != "auto" {
		t.Errorf("config: %d, %q, %q", s.Config.MemoryLimitBytes, s.Config.LimitEnforcedBy, s.Config.GoMemLimit)
	}
	for _, r := range s.Runs {
		// automemlimit in the worker found its container's limit.
		if limit := float64(64 << 20); r.GoMemLimitBytes != uint64(0.9*limit) {
			t.Errorf("%s: GOMEMLIMIT %d, want 90 %% of 64 MiB", r.Strategy, r.GoMemLimitBytes)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "REPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"oom-killed", "kernel"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("REPORT.md does not mention %q", want)
		}
	}
}

// sameKey reports whether a recorded key (a JSON array) is the one id.
func sameKey(raw json.RawMessage, id int64) bool {
	var key []int64
	return json.Unmarshal(raw, &key) == nil && len(key) == 1 && key[0] == id
}
