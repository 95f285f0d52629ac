package container_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/iterbench/iterbench/internal/container"
	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
)

func TestStartAndTerminate(t *testing.T) {
	for _, kind := range []database.Kind{database.Postgres, database.MariaDB} {
		t.Run(string(kind), func(t *testing.T) {
			s := containertest.Start(t, kind)
			ctx := context.Background()
			db, err := database.Open(ctx, kind, s.DSN)
			if err != nil {
				t.Fatal(err)
			}
			v, err := database.Version(ctx, db)
			if err != nil || v == "" {
				t.Errorf("version %q, %v", v, err)
			}
			database.Close(db)
			if s.StartSeconds <= 0 || s.Image != container.Image(kind) {
				t.Errorf("start %v s, image %s", s.StartSeconds, s.Image)
			}
			if err := s.Terminate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.Terminate(ctx); err != nil {
				t.Errorf("a second Terminate failed: %v", err)
			}
			if _, err := database.Open(ctx, kind, s.DSN); err == nil {
				t.Error("the server still answers after Terminate")
			}
		})
	}
}

func TestMissingImage(t *testing.T) {
	containertest.RequireDocker(t)
	_, err := container.Start(context.Background(), database.Postgres, "github.com/iterbench/iterbench/no-such-image:never", nil)
	if !errors.Is(err, container.ErrNoImage) {
		t.Fatalf("err = %v, want ErrNoImage", err)
	}
	if !strings.Contains(err.Error(), "make images") {
		t.Errorf("the error does not say how to build the images: %v", err)
	}
}

func TestImageSetting(t *testing.T) {
	t.Setenv(container.PostgresImageEnv, "")
	if got := container.Image(database.Postgres); got != container.DefaultPostgresImage {
		t.Errorf("default image %s", got)
	}
	t.Setenv(container.MariaDBImageEnv, "example/mariadb:1")
	if got := container.Image(database.MariaDB); got != "example/mariadb:1" {
		t.Errorf("image from environment %s", got)
	}
}
