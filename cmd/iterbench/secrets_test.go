package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
)

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

// TestPayloadBeyondWhatMariaDBTakes: a document larger than the server's
// max_allowed_packet is refused up front, not found out mid-seed.
func TestPayloadBeyondWhatMariaDBTakes(t *testing.T) {
	containertest.Start(t, database.MariaDB).Terminate(context.Background()) // skips without Docker or image
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(context.Background(), "run", "--db", "mariadb", "--rows", "5", "--payload", "20000000", "--out", out)
	if code != exitUsage || !strings.Contains(stderr, "is more than mariadb takes in one value") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want exit 2 and one line", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("the output folder was created")
	}
}
