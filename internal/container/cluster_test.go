package container_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/iterbench/iterbench/internal/cluster"
	"github.com/iterbench/iterbench/internal/container"
	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
)

// TestStartCluster starts each topology, writes a row on the first node,
// reads it on the others, and checks that Terminate leaves no container,
// network or volume of this process behind.
func TestStartCluster(t *testing.T) {
	for _, topo := range []cluster.Topology{cluster.Replica, cluster.Galera} {
		t.Run(string(topo), func(t *testing.T) {
			kind := topo.Kind()
			containertest.RequireImage(t, kind)
			ctx := context.Background()
			c, err := container.StartCluster(ctx, kind, topo, container.Image(kind), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Terminate(ctx) })
			volumes := volumesOf(t, c)
			want := map[cluster.Topology]int{cluster.Replica: 2, cluster.Galera: cluster.GaleraNodes}[topo]
			if len(c.Nodes) != want {
				t.Fatalf("%d nodes, want %d", len(c.Nodes), want)
			}
			db, err := database.Open(ctx, kind, c.Nodes[0].DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer database.Close(db)
			if err := db.Exec("CREATE TABLE cluster_probe (id int PRIMARY KEY, v int)").Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Exec("INSERT INTO cluster_probe VALUES (1, 42)").Error; err != nil {
				t.Fatal(err)
			}
			for _, n := range c.Nodes[1:] {
				other, err := database.Open(ctx, kind, n.DSN)
				if err != nil {
					t.Fatal(err)
				}
				var v int
				deadline := time.Now().Add(30 * time.Second)
				for v != 42 && time.Now().Before(deadline) {
					other.Raw("SELECT v FROM cluster_probe WHERE id = 1").Scan(&v)
					time.Sleep(50 * time.Millisecond)
				}
				database.Close(other)
				if v != 42 {
					t.Errorf("node %s does not have the row written on %s", n.Name, c.Nodes[0].Name)
				}
			}
			if err := c.Terminate(ctx); err != nil {
				t.Fatal(err)
			}
			if left := leftBehind(t, volumes); left != "" {
				t.Errorf("left behind: %s", left)
			}
		})
	}
}

// volumesOf names the Docker volumes the cluster's containers mount (an
// image's anonymous volumes carry no label of iterbench's).
func volumesOf(t *testing.T, c *container.Cluster) []string {
	t.Helper()
	cli, err := testcontainers.NewDockerClientWithOpts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	var names []string
	for _, n := range c.Nodes {
		in, err := cli.ContainerInspect(context.Background(), n.ID(), client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range in.Container.Mounts {
			if m.Type == "volume" {
				names = append(names, m.Name)
			}
		}
	}
	return names
}

// leftBehind names the containers and networks this process started that
// still exist, and which of volumes do.
func leftBehind(t *testing.T, volumes []string) string {
	t.Helper()
	ctx := context.Background()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	f := make(client.Filters).Add("label", container.LabelPID+"="+strconv.Itoa(os.Getpid()))
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	left := 0
	for _, v := range volumes {
		if _, err := cli.VolumeInspect(ctx, v, client.VolumeInspectOptions{}); err == nil {
			left++
		}
	}
	if len(cs.Items)+len(ns.Items)+left == 0 {
		return ""
	}
	return fmt.Sprintf("%d containers, %d networks, %d volumes", len(cs.Items), len(ns.Items), left)
}

// TestClusterStartFails: a cluster whose first node cannot start (here an
// image without MariaDB, let alone Galera) fails with the node's last log
// lines and what a Galera image needs, and leaves no container or network.
func TestClusterStartFails(t *testing.T) {
	containertest.RequireImage(t, database.Postgres)
	_, err := container.StartCluster(context.Background(), database.MariaDB, cluster.Galera, container.Image(database.Postgres), nil)
	if err == nil {
		t.Fatal("a Galera cluster started from a PostgreSQL image")
	}
	for _, want := range []string{"start mariadb node1 container from", "the container's last log lines", "needs " + container.GaleraProvider} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if left := leftBehind(t, nil); left != "" {
		t.Errorf("left behind: %s", left)
	}
}
