package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/iterbench/iterbench/internal/container"
	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
)

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
