package container

import (
	"context"
	"fmt"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// ReaperEnv is testcontainers-go's switch for its reaper (Ryuk): "true"
// turns it off.
const ReaperEnv = "TESTCONTAINERS_RYUK_DISABLED"

// ReaperImage is the image testcontainers-go (v0.45) starts its reaper
// from; a test checks that it is still testcontainers' own.
const ReaperImage = "testcontainers/ryuk:0.14.0"

// iterbench does not depend on the reaper: it removes every container it
// starts (Terminate, Wait), and RemoveOrphans those a killed run left. The
// reaper is a second safety net where it can run; where its image is
// neither present nor pullable (a machine without a registry), iterbench
// turns it off, whatever ReaperEnv held, and ReaperNote says so (the
// CLI prints it once, on standard error).
//
// testcontainers-go reads its configuration, ReaperEnv included, once per
// process, at its first call: the decision must come before that call and
// hold for the whole process. That is why it is the one piece of
// package-level state here, settled once (settleReaper) by every function of
// this package that reaches Docker.
var reaper struct {
	once sync.Once
	note string
}

// imageAPI is what deciding about the reaper asks Docker.
type imageAPI interface {
	ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (client.ImageInspectResult, error)
	ImagePull(ctx context.Context, ref string, opts client.ImagePullOptions) (client.ImagePullResponse, error)
}

// settleReaper decides, once per process and before testcontainers-go reads
// its configuration, whether the reaper can start, and turns it off when it
// cannot.
func settleReaper(ctx context.Context) {
	reaper.once.Do(func() {
		reaper.note = decideReaper(ctx, os.Getenv, os.Setenv, dockerImages)
	})
}

// ReaperNote settles the reaper, if nothing in this process did yet, and
// returns the note that says it was turned off and why: empty when it was
// left as configured.
func ReaperNote(ctx context.Context) string {
	settleReaper(ctx)
	return reaper.note
}

// dockerImages asks the Docker daemon of the environment (DOCKER_HOST, else
// the default socket) through a client of its own: testcontainers' client
// would read testcontainers' configuration.
func dockerImages(ctx context.Context, ask func(imageAPI) error) error {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return err
	}
	defer cli.Close()
	return ask(cli)
}

// decideReaper returns the note iterbench gives when it turns the reaper
// off, or "" when the reaper is left as configured: turned off already, its
// image at hand, or Docker not reachable (the caller reports that). It
// turns the reaper off by setting ReaperEnv before testcontainers-go reads
// it.
func decideReaper(ctx context.Context, getenv func(string) string, setenv func(string, string) error,
	docker func(context.Context, func(imageAPI) error) error) string {
	if getenv(ReaperEnv) == "true" {
		return ""
	}
	image := ReaperImage
	if prefix := getenv("TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX"); prefix != "" {
		image = path.Join(prefix, image)
	}
	var why error
	err := docker(ctx, func(api imageAPI) error {
		why = reaperImageMissing(ctx, api, image)
		return nil
	})
	if err != nil || why == nil {
		return ""
	}
	if err := setenv(ReaperEnv, "true"); err != nil {
		return fmt.Sprintf("the testcontainers reaper cannot start (%v) and could not be turned off (%v)", why, err)
	}
	return fmt.Sprintf("the testcontainers reaper cannot start here (%v); going on without it: iterbench removes the containers it starts itself", why)
}

// reaperImageMissing returns nil when image is present or could be pulled,
// else why it is not to be had.
func reaperImageMissing(ctx context.Context, api imageAPI, image string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	pullErr, err := pullIfMissing(ctx, api, image)
	if err != nil {
		return err
	}
	if pullErr != nil {
		return fmt.Errorf("its image %s is not present and could not be pulled: %s", image, dockerMessage(pullErr))
	}
	return nil
}

// dockerClient returns testcontainers' Docker client, once the reaper is
// settled.
func dockerClient(ctx context.Context) (*testcontainers.DockerClient, error) {
	settleReaper(ctx)
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDocker, err)
	}
	return cli, nil
}

// reaperHint adds advice to an error that names the reaper.
func reaperHint(err error) error {
	lower := strings.ToLower(err.Error())
	if (strings.Contains(lower, "ryuk") || strings.Contains(lower, "reaper")) && os.Getenv(ReaperEnv) != "true" {
		return fmt.Errorf("%w (the testcontainers reaper could not start; set %s=true to go on without it)", err, ReaperEnv)
	}
	return err
}
