package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/iterbench/iterbench/internal/cluster"
	"github.com/iterbench/iterbench/internal/container"
	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/summary"
)

// TestRunOnClusters runs two strategies on each topology iterbench starts:
// every run is watched on the other nodes, verified there too, the probe
// works beside it on another node, the report has its section and chart,
// and no container or network is left behind.
func TestRunOnClusters(t *testing.T) {
	for _, topo := range []cluster.Topology{cluster.Replica, cluster.Galera} {
		t.Run("topology="+string(topo), func(t *testing.T) {
			containertest.RequireImage(t, topo.Kind())
			out := filepath.Join(t.TempDir(), "results")
			code, stdout, stderr := runCLI(context.Background(), "run", "--topology", string(topo), "--rows", "3000", "--batch", "100",
				"--repeats", "1", "--strategies", "keyset-bulk,set-based", "--out", out)
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
			nodes, other, verified := 2, "standby", "standby"
			if topo == cluster.Galera {
				nodes, other, verified = cluster.GaleraNodes, "node2", "node3"
			}
			c := s.Config
			if c.Topology != string(topo) || len(c.Nodes) != nodes || c.ProbeNode != other || c.MaxLagSeconds != 1 || c.Database != string(topo.Kind()) {
				t.Errorf("config: topology %q, nodes %q, probe on %q, max lag %v, database %s", c.Topology, c.Nodes, c.ProbeNode, c.MaxLagSeconds, c.Database)
			}
			for _, r := range s.Runs {
				if r.Status != summary.StatusOK {
					t.Errorf("%s: %s: %s", r.Strategy, r.Status, r.Error)
					continue
				}
				cl := r.Cluster
				if cl == nil || cl.Error != "" || cl.VerifiedOn != verified || cl.RowsVerified != 3000 || cl.WrongRows != 0 || cl.OtherCPUSeconds <= 0 {
					t.Errorf("%s: cluster %+v", r.Strategy, cl)
				}
				if r.Probe == nil || r.Probe.Ops == 0 || r.Probe.Errors != 0 {
					t.Errorf("%s: probe %+v", r.Strategy, r.Probe)
				}
				if topo == cluster.Galera && (cl == nil || cl.Writesets == 0) {
					t.Errorf("%s: no writeset replicated: %+v", r.Strategy, cl)
				}
			}
			if len(s.Lag) == 0 {
				t.Error("no lag readings (lag.csv)")
			}
			report, _ := os.ReadFile(filepath.Join(out, "REPORT.md"))
			for _, want := range []string{"## Beyond one server", "lag-over-time.png", "verified every row on " + verified} {
				if !strings.Contains(string(report), want) {
					t.Errorf("REPORT.md lacks %q", want)
				}
			}
			if _, err := os.Stat(filepath.Join(out, "lag-over-time.png")); err != nil {
				t.Error(err)
			}
			if left := ownLeftovers(t); left != "" {
				t.Errorf("left behind: %s", left)
			}
		})
	}
}

// TestReplicaDSN: --dsn to a primary and --replica-dsn to its standby
// measure a cluster iterbench did not start; a --replica-dsn that is not a
// standby is bad input, said in one line.
func TestReplicaDSN(t *testing.T) {
	c := containertest.StartCluster(t, cluster.Replica)
	primary, standby := c.Nodes[0].DSN, c.Nodes[1].DSN
	out := filepath.Join(t.TempDir(), "results")
	code, stdout, stderr := runCLI(context.Background(), "run", "--dsn", primary, "--replica-dsn", standby, "--rows", "1000",
		"--repeats", "1", "--strategies", "keyset-bulk", "--out", out)
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
	if s.Config.Topology != string(cluster.Replica) || len(s.Runs) != 1 || s.Runs[0].Cluster == nil ||
		s.Runs[0].Cluster.VerifiedOn != "standby" || s.Runs[0].Cluster.RowsVerified != 1000 {
		t.Fatalf("topology %q, runs %+v", s.Config.Topology, s.Runs)
	}
	out2 := filepath.Join(t.TempDir(), "results")
	code, stdout, stderr = runCLI(context.Background(), "run", "--dsn", primary, "--replica-dsn", primary, "--rows", "1000", "--out", out2)
	if code != exitUsage || !strings.Contains(stderr, "standby is not a standby (pg_is_in_recovery() is false)") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("--replica-dsn to the primary: exit %d, stderr %q; want exit 2 and one line", code, stderr)
	}
	if strings.Contains(stdout+stderr, "iterbench-pw") {
		t.Error("the password was printed")
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Error("the output folder was created")
	}
}

// playClusterParent starts a cluster of topology as iterbench does, prints
// its containers' ids and waits to be killed.
func playClusterParent(topology cluster.Topology) int {
	c, err := container.StartCluster(context.Background(), topology.Kind(), topology, container.Image(topology.Kind()), nil)
	if err != nil {
		os.Stdout.WriteString("error: " + err.Error() + "\n")
		return 1
	}
	line := "started"
	for _, n := range c.Nodes {
		line += " " + n.ID()
	}
	os.Stdout.WriteString(line + "\n")
	select {}
}

// TestKilledParentsClusterIsRemoved: a parent killed by SIGKILL leaves its
// cluster's containers and network behind; what the next run does first
// (container.RemoveOrphans) removes them all, and says so.
func TestKilledParentsClusterIsRemoved(t *testing.T) {
	for _, topo := range []cluster.Topology{cluster.Replica, cluster.Galera} {
		t.Run("topology="+string(topo), func(t *testing.T) {
			containertest.RequireImage(t, topo.Kind())
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), parentEnv+"=cluster-"+string(topo))
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stdout)
			var ids []string
			for sc.Scan() {
				if f := strings.Fields(sc.Text()); len(f) > 1 && f[0] == "started" {
					ids = f[1:]
					break
				}
				t.Log(sc.Text())
			}
			if ids == nil {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatal("the parent did not start its cluster")
			}
			pid := cmd.Process.Pid
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			want := strconv.Itoa(len(ids)) + " containers, 1 networks"
			if left := leftovers(t, pid); left != want {
				t.Fatalf("after the kill %q is left, want %q: the test proves nothing", left, want)
			}
			t.Cleanup(func() { // if the test fails, do not leave them either
				container.RemoveWhere(context.Background(), func(_ string, l map[string]string) bool { return l[container.LabelPID] == strconv.Itoa(pid) })
			})
			r, err := container.RemoveOrphans(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			// Others' leftovers (a test that failed) go too: at least the parent's.
			if r.Containers < len(ids) || r.Networks < 1 || !strings.Contains(r.String(), "left by iterbench runs that ended without cleaning up (") ||
				!strings.Contains(r.String(), "pid "+strconv.Itoa(pid)+" on ") || !strings.Contains(r.String(), " network") {
				t.Errorf("%q: want %d containers and 1 network of pid %d named", r.String(), len(ids), pid)
			}
			if left := leftovers(t, pid); left != "" {
				t.Errorf("still there: %s", left)
			}
		})
	}
}

// ownLeftovers names the containers and networks this process started
// that still exist.
func ownLeftovers(t *testing.T) string { return leftovers(t, os.Getpid()) }

// leftovers names the iterbench containers and networks process pid
// started that still exist ("" if none).
func leftovers(t *testing.T, pid int) string {
	t.Helper()
	ctx := context.Background()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	f := make(client.Filters).Add("label", container.LabelPID+"="+strconv.Itoa(pid))
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Items)+len(ns.Items) == 0 {
		return ""
	}
	return strconv.Itoa(len(cs.Items)) + " containers, " + strconv.Itoa(len(ns.Items)) + " networks"
}
