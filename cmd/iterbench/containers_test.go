package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/log"

	"iterbench/container"
	"iterbench/container/containertest"
	"iterbench/database"
	"iterbench/summary"
)

func TestRunInContainers(t *testing.T) {
	for _, kind := range []database.Kind{database.Postgres, database.MariaDB} {
		t.Run("db="+string(kind), func(t *testing.T) {
			// Start (and stop) a server first: it skips when no image can be had.
			containertest.Start(t, kind).Terminate(context.Background())
			out := filepath.Join(t.TempDir(), "results")
			code, stdout, stderr := runCLI(context.Background(), "run", "--db", string(kind), "--rows", "1500",
				"--repeats", "1", "--strategies", "cursor,paging-bulk", "--image", container.Image(kind), "--out", out)
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
			for _, r := range s.Runs {
				if r.Status != summary.StatusOK || r.WrongRows != 0 {
					t.Errorf("%s: %s, %d wrong: %s", r.Strategy, r.Status, r.WrongRows, r.Error)
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
	code, _, stderr := runCLI(context.Background(), "run", "--db", "postgres", "--image", "iterbench/never-built:0", "--out", out)
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
	_, tg, err := f.open(context.Background(), database.Postgres, io.Discard)
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

// TestMemoryLimitBadInput: a limit the baseline worker cannot fit in, and
// --memory-limit without Docker, are bad input: one line, exit 2, nothing
// written.
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
	_, tg, _, err := f.connect(context.Background(), &cfg, io.Discard)
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

// TestPasswordNeverWritten runs against a server with a known password given
// in each DSN form iterbench accepts, and searches stdout, stderr and every
// file written for it.
func TestPasswordNeverWritten(t *testing.T) {
	srv := containertest.Start(t, database.Postgres)
	const pw = "iterbench-pw"
	u, err := url.Parse(srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	host, port := u.Hostname(), u.Port()
	for _, c := range []struct {
		name, dsn string
		extra     []string
	}{
		{"user info", srv.DSN, nil},
		{"query parameter", fmt.Sprintf("postgres://iterbench@%s:%s/iterbench?sslmode=disable&password=%s", host, port, pw), nil},
		{"libpq keywords, workers in containers", fmt.Sprintf("host=%s port=%s user=iterbench password=%s dbname=iterbench sslmode=disable", host, port, pw),
			[]string{"--memory-limit", "256MiB"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "results")
			args := append([]string{"run", "--dsn", c.dsn, "--rows", "300", "--repeats", "1", "--strategies", "keyset-bulk,cursor", "--out", out}, c.extra...)
			code, stdout, stderr := runCLI(context.Background(), args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if strings.Contains(stdout+stderr, pw) {
				t.Error("the password was printed")
			}
			n := 0
			filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				n++
				if b, _ := os.ReadFile(path); strings.Contains(string(b), pw) {
					t.Errorf("%s holds the password", path)
				}
				return nil
			})
			if n < 5 {
				t.Errorf("only %d files written", n)
			}
		})
	}
	// A wrong password: the server's refusal is printed without it.
	wrong := fmt.Sprintf("host=%s port=%s user=iterbench password=wr0ng-pw dbname=iterbench sslmode=disable", host, port)
	code, stdout, stderr := runCLI(context.Background(), "run", "--dsn", wrong, "--out", filepath.Join(t.TempDir(), "x"))
	if code != exitUsage || strings.Contains(stdout+stderr, "wr0ng-pw") || !strings.Contains(stderr, "password=xxxxx") {
		t.Errorf("exit %d, stderr %q: want exit 2 and the DSN shown without its password", code, stderr)
	}
}

// parentEnv makes the test binary play a parent that is then killed.
const parentEnv = "ITERBENCH_TEST_PARENT"

// playParent starts a PostgreSQL container as iterbench does, prints its id
// and waits to be killed.
func playParent() int {
	srv, err := container.Start(context.Background(), database.Postgres, container.Image(database.Postgres), nil)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("started", srv.ID())
	select {}
}

// TestKilledParentsContainerIsRemoved: a parent killed by SIGKILL leaves
// its container behind (Ryuk is off); the next run removes it and says so.
func TestKilledParentsContainerIsRemoved(t *testing.T) {
	containertest.Start(t, database.Postgres).Terminate(context.Background()) // skips without Docker or image
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), parentEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var id string
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "started" {
			id = f[1]
			break
		}
		t.Log(sc.Text())
	}
	if id == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the parent did not start its container")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	cli, err := testcontainers.NewDockerClientWithOpts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	exists := func() bool {
		_, err := cli.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
		return err == nil
	}
	if !exists() {
		t.Fatalf("container %.12s is gone with its parent: the test proves nothing", id)
	}
	t.Cleanup(func() { cli.ContainerRemove(context.Background(), id, client.ContainerRemoveOptions{Force: true}) })

	code, _, stderr := runCLI(context.Background(), "run", "--db", "postgres", "--rows", "200", "--repeats", "1",
		"--strategies", "keyset-bulk", "--out", filepath.Join(t.TempDir(), "out"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := fmt.Sprintf("removed 1 container left by iterbench runs that ended without cleaning up (pid %d on ", cmd.Process.Pid); !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
	if exists() {
		t.Errorf("container %.12s is still there", id)
	}
}

// TestClean: iterbench clean removes iterbench's containers. Other tests
// share the Docker daemon, so the test removes only its own: what
// container.RemoveAll selects (the label every iterbench container has) is
// what RemoveWhere is given here, narrowed to this container.
func TestClean(t *testing.T) {
	srv := containertest.Start(t, database.Postgres)
	mine := func(ctx context.Context) (container.Removed, error) {
		return container.RemoveWhere(ctx, func(id string, _ map[string]string) bool { return id == srv.ID() })
	}
	var out bytes.Buffer
	if err := cleanCmd(context.Background(), nil, &out, mine); err != nil || !strings.Contains(out.String(), "removed 1 iterbench container") {
		t.Fatalf("clean: %v, %q", err, out.String())
	}
	if db, err := database.Open(context.Background(), database.Postgres, srv.DSN); err == nil {
		database.Close(db)
		t.Error("the server still answers after clean")
	}
	out.Reset()
	if err := cleanCmd(context.Background(), nil, &out, mine); err != nil || !strings.Contains(out.String(), "no iterbench container") {
		t.Errorf("second clean: %v, %q", err, out.String())
	}
}

// TestPayloadBeyondWhatMariaDBTakes: a document larger than the server's
// max_allowed_packet is refused up front, not found out mid-seed.
func TestPayloadBeyondWhatMariaDBTakes(t *testing.T) {
	containertest.Start(t, database.MariaDB).Terminate(context.Background()) // skips without Docker or image
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(context.Background(), "run", "--db", "mariadb", "--rows", "5", "--payload", "20000000", "--out", out)
	if code != exitUsage || !strings.Contains(stderr, "is more than mysql takes in one value") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want exit 2 and one line", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("the output folder was created")
	}
}
