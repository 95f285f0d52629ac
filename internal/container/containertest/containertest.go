// Package containertest gives tests a containerised database server. When
// Docker cannot be reached a test is skipped with a message, unless
// ITERBENCH_REQUIRE_DOCKER=1 (as in CI), where it fails instead.
package containertest

import (
	"context"
	"errors"
	"os"
	"testing"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/cluster"
	"github.com/iterbench/iterbench/internal/container"
	"github.com/iterbench/iterbench/internal/database"
)

// RequireEnv is the environment variable that turns a missing Docker from
// a skip into a failure.
const RequireEnv = "ITERBENCH_REQUIRE_DOCKER"

// RequireDocker skips t, or fails it under ITERBENCH_REQUIRE_DOCKER=1, when
// the Docker daemon cannot be reached.
func RequireDocker(t testing.TB) {
	t.Helper()
	requireDocker(t, container.CheckDocker(context.Background()))
}

func requireDocker(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s=1 but %v", RequireEnv, err)
			return
		}
		t.Skipf("skipping container test: %v (set %s=1 to make this a failure)", err, RequireEnv)
	}
}

// Start starts a server of kind from the configured image (see
// container.Image) and terminates it when t ends. An image that is neither
// present nor pullable skips the test like a missing Docker does (and
// fails it under ITERBENCH_REQUIRE_DOCKER=1).
func Start(t testing.TB, kind database.Kind) *container.Server {
	t.Helper()
	RequireDocker(t)
	ctx := context.Background()
	s, err := container.Start(ctx, kind, container.Image(kind), nil)
	if errors.Is(err, container.ErrNoImage) {
		requireDocker(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Terminate(ctx); err != nil {
			t.Error(err)
		}
	})
	return s
}

// Open starts a server of kind and returns a connection to it, closed and
// terminated when t ends.
func Open(t testing.TB, kind database.Kind) (*gorm.DB, *container.Server) {
	t.Helper()
	s := Start(t, kind)
	db, err := database.Open(context.Background(), kind, s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(db) })
	return db, s
}

// RequireImage skips t, or fails it under ITERBENCH_REQUIRE_DOCKER=1, when
// Docker cannot be reached or the configured image of kind (see
// container.Image) is neither present nor pullable.
func RequireImage(t testing.TB, kind database.Kind) {
	t.Helper()
	RequireDocker(t)
	if err := container.CheckImage(context.Background(), container.Image(kind)); err != nil {
		requireDocker(t, err)
	}
}

// StartCluster starts a cluster of topology from the configured image and
// terminates it when t ends; it skips t as Start does.
func StartCluster(t testing.TB, topology cluster.Topology) *container.Cluster {
	t.Helper()
	kind := topology.Kind()
	RequireImage(t, kind)
	ctx := context.Background()
	c, err := container.StartCluster(ctx, kind, topology, container.Image(kind), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Terminate(ctx); err != nil {
			t.Error(err)
		}
	})
	return c
}
