package worker

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iterbench/iterbench/internal/database"
)

func TestJobArgsRoundTrip(t *testing.T) {
	j := Job{Kind: database.Postgres, DSNFile: "/tmp/x/dsn", Strategy: "keyset-bulk", Batch: 250, BulkForm: "unnest",
		Workers: 3, Hold: 200 * time.Millisecond, Touch: 1 << 20, GoMemLimit: MemLimit{Bytes: 1000000}, Resume: true}
	got, err := parseJob(j.Args(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, j) {
		t.Errorf("got %+v\nwant %+v", got, j)
	}
}

// playWorkerEnv makes the test binary play a worker started by Local: it
// reports what it was given instead of running a job.
const playWorkerEnv = "ITERBENCH_TEST_PLAY_WORKER"

// TestMain lets the test binary play a worker (see playWorker).
func TestMain(m *testing.M) {
	if os.Getenv(playWorkerEnv) != "" {
		os.Exit(playWorker())
	}
	os.Exit(m.Run())
}

// given is what a worker was given, as playWorker reports it.
type given struct {
	// Cmdline is the process's command line as a process listing shows it
	// (/proc/self/cmdline).
	Cmdline string `json:"cmdline"`
	// DSN is the DSN the worker reads, as Main reads it.
	DSN   string `json:"dsn"`
	Error string `json:"error,omitempty"`
}

// playWorker parses its command line and reads its DSN as a worker does,
// and writes what it found as JSON on stdout.
func playWorker() int {
	var g given
	if b, err := os.ReadFile("/proc/self/cmdline"); err != nil {
		g.Error = err.Error()
	} else {
		g.Cmdline = strings.ReplaceAll(string(b), "\x00", " ")
	}
	if j, err := parseJob(os.Args[1:], os.Stderr); err != nil {
		g.Error = err.Error()
	} else if g.DSN, err = readDSN(j.DSNFile); err != nil {
		g.Error = err.Error()
	}
	if err := json.NewEncoder(os.Stdout).Encode(g); err != nil {
		return 1
	}
	return 0
}

// TestDSNNeverOnTheCommandLine starts workers (the test binary playing
// one) with a DSN holding a password, in their environment as Local passes
// it and through a FIFO as a container's worker gets it: the worker gets
// the DSN, and its command line never holds the password.
func TestDSNNeverOnTheCommandLine(t *testing.T) {
	const pw = "s3cr3t-pw"
	dsn := "postgres://bob:" + pw + "@db.example:5432/app?sslmode=disable"
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(playWorkerEnv, "1")
	l := &Local{Path: exe}
	fifo := filepath.Join(t.TempDir(), "dsn")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		job  Job
	}{
		{"environment", Job{Kind: database.Postgres, DSN: dsn, Strategy: "keyset-bulk", Batch: 100}},
		{"FIFO", Job{Kind: database.Postgres, DSNFile: fifo, Strategy: "keyset-bulk", Batch: 100}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, a := range c.job.Args() {
				if strings.Contains(a, pw) {
					t.Errorf("Args() holds the password: %q", c.job.Args())
				}
			}
			p, err := l.Start(context.Background(), c.job)
			if err != nil {
				t.Fatal(err)
			}
			fed := make(chan error, 1)
			go func() {
				if c.job.DSNFile == "" {
					fed <- nil
					return
				}
				// Opening a FIFO for writing waits for its reader.
				fed <- os.WriteFile(c.job.DSNFile, []byte(dsn+"\n"), 0o600)
			}()
			var g given
			derr := json.NewDecoder(p.Output()).Decode(&g)
			e := p.Wait()
			if c.job.DSNFile != "" {
				// A worker that ended without reading the FIFO leaves the
				// writer waiting for a reader: be that reader.
				if r, err := os.OpenFile(c.job.DSNFile, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
					defer r.Close()
				}
			}
			if err := <-fed; err != nil {
				t.Fatal(err)
			}
			if strings.Contains(g.Cmdline, pw) {
				t.Errorf("the DSN is on the worker's command line: %q", g.Cmdline)
			}
			if derr != nil || e.Code != 0 || g.Error != "" {
				t.Fatalf("the worker reported %+v (%v), exit %d: %s", g, derr, e.Code, e.Stderr)
			}
			if !strings.Contains(g.Cmdline, `"strategy":"keyset-bulk"`) {
				t.Errorf("command line %q: not the worker's; the test proves nothing", g.Cmdline)
			}
			if g.DSN != dsn {
				t.Errorf("the worker got the DSN %q, want %q", g.DSN, dsn)
			}
		})
	}
}

func TestMemLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	if n, err := (MemLimit{Bytes: 123456789}).apply(); err != nil || n != 123456789 {
		t.Errorf("size: %d, %v", n, err)
	}
	for _, c := range []struct {
		memory, rss uint64
		want        MemLimit
		err         bool
	}{
		{memory: 128 << 20, want: MemLimit{Auto: true}},
		{rss: 100 << 20, want: MemLimit{Bytes: 90 << 20}},
		{err: true},
	} {
		got, err := AutoMemLimit(c.memory, c.rss)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("AutoMemLimit(%d, %d) = %+v, %v; want %+v", c.memory, c.rss, got, err, c.want)
		}
	}
	for m, want := range map[MemLimit]string{{}: "off", {Auto: true}: "auto", {Bytes: 42}: "42"} {
		if m.String() != want {
			t.Errorf("%+v.String() = %q, want %q", m, m.String(), want)
		}
	}
}

// TestJobIsOneValue: the worker's command line is -job and one JSON value;
// a field the worker does not know is refused, not ignored.
func TestJobIsOneValue(t *testing.T) {
	args := Job{Kind: database.MariaDB, Strategy: "cursor", DSN: "secret"}.Args()
	if len(args) != 2 || args[0] != "-job" || !json.Valid([]byte(args[1])) || strings.Contains(args[1], "secret") {
		t.Errorf("Args() = %q, want -job and one JSON value without the DSN", args)
	}
	if _, err := parseJob([]string{"-job", `{"db":"sqlite","strategy":"cursor","bach":10}`}, io.Discard); err == nil {
		t.Error("a misspelt field was accepted")
	}
}
