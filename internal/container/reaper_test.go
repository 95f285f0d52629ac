package container

import (
	"context"
	"errors"
	"io"
	"iter"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// fakeImages answers what decideReaper asks Docker.
type fakeImages struct {
	present  bool
	pullErr  error
	inspects []string
	pulls    []string
}

func (f *fakeImages) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	f.inspects = append(f.inspects, ref)
	if f.present {
		return client.ImageInspectResult{}, nil
	}
	return client.ImageInspectResult{}, cerrdefs.ErrNotFound.WithMessage("No such image: " + ref)
}

func (f *fakeImages) ImagePull(_ context.Context, ref string, _ client.ImagePullOptions) (client.ImagePullResponse, error) {
	f.pulls = append(f.pulls, ref)
	if f.pullErr != nil {
		return nil, f.pullErr
	}
	return pulled{}, nil
}

// pulled is a pull that ended well.
type pulled struct{ io.Reader }

func (pulled) Read([]byte) (int, error) { return 0, io.EOF }
func (pulled) Close() error             { return nil }
func (pulled) Wait(context.Context) error {
	return nil
}
func (pulled) JSONMessages(context.Context) iter.Seq2[jsonstream.Message, error] {
	return func(func(jsonstream.Message, error) bool) {}
}

func TestDecideReaper(t *testing.T) {
	noRegistry := errors.New(`Error response from daemon: Get "https://registry.example/v2/": dial tcp: lookup registry.example: no such host`)
	for _, c := range []struct {
		name     string
		env      map[string]string
		images   *fakeImages
		docker   error // Docker not reachable
		wantNote string
		wantOff  bool // ReaperEnv set to true
		wantAsk  bool
	}{
		{name: "turned off already", env: map[string]string{ReaperEnv: "true"}, images: &fakeImages{}},
		{name: "image present", images: &fakeImages{present: true}, wantAsk: true},
		{name: "image pulled", images: &fakeImages{}, wantAsk: true},
		{name: "no registry", images: &fakeImages{pullErr: noRegistry}, wantAsk: true, wantOff: true,
			wantNote: "its image " + ReaperImage + " is not present and could not be pulled: Get"},
		{name: "no registry, enabled explicitly", env: map[string]string{ReaperEnv: "false"}, images: &fakeImages{pullErr: noRegistry},
			wantAsk: true, wantOff: true, wantNote: "going on without it"},
		{name: "hub prefix", env: map[string]string{"TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX": "mirror.example/hub"},
			images: &fakeImages{pullErr: noRegistry}, wantAsk: true, wantOff: true, wantNote: "mirror.example/hub/" + ReaperImage},
		{name: "no docker", images: &fakeImages{}, docker: errors.New("connection refused")},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range c.env {
				env[k] = v
			}
			docker := func(ctx context.Context, ask func(imageAPI) error) error {
				if c.docker != nil {
					return c.docker
				}
				return ask(c.images)
			}
			note := decideReaper(context.Background(), func(k string) string { return env[k] },
				func(k, v string) error { env[k] = v; return nil }, docker)
			if c.wantNote == "" && note != "" || !strings.Contains(note, c.wantNote) {
				t.Errorf("note %q, want one containing %q", note, c.wantNote)
			}
			if off := env[ReaperEnv] == "true"; off != (c.wantOff || c.env[ReaperEnv] == "true") {
				t.Errorf("%s=%q after deciding; want it turned off: %v", ReaperEnv, env[ReaperEnv], c.wantOff)
			}
			if asked := len(c.images.inspects) > 0; asked != c.wantAsk {
				t.Errorf("asked Docker about the image: %v, want %v", asked, c.wantAsk)
			}
			if c.images.present && len(c.images.pulls) > 0 {
				t.Error("pulled an image that is present")
			}
		})
	}
}

// TestReaperImage: the image iterbench looks for is the one testcontainers
// starts its reaper from.
func TestReaperImage(t *testing.T) {
	//lint:ignore SA1019 the value is what is checked here; testcontainers has no other exported name for it
	if got := testcontainers.ReaperDefaultImage; got != ReaperImage {
		t.Errorf("testcontainers starts its reaper from %s, iterbench looks for %s", got, ReaperImage)
	}
}
