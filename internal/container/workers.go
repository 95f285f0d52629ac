package container

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	dcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/log"

	"github.com/iterbench/iterbench/internal/rss"
	"github.com/iterbench/iterbench/internal/worker"
)

// WorkerImage is the repository of the worker images Workers builds: one
// tag per worker binary (the start of its SHA-256).
const WorkerImage = "github.com/iterbench/iterbench/internal/worker"

// workerPath is where the worker binary stands in its image.
const workerPath = "/" + worker.BinaryName

// Workers starts each worker in a container of its own, limited to Limit
// bytes of memory and no swap, so that the kernel's OOM killer ends a worker
// that needs more, as it ends a Kubernetes pod's container ("OOMKilled",
// exit code 137). The image holds only the (static) worker binary and is
// built locally with `docker import`: no registry is needed.
//
// Workers share the host's network, so they reach a database at the address
// the parent uses, and see the folders in Mounts at the same paths (SQLite's
// folder). The DSN reaches a worker through a FIFO, so that it is written
// neither into the container's configuration nor to disk.
type Workers struct {
	// Limit is the memory limit in bytes (Docker's Memory and MemorySwap).
	Limit uint64
	// Mounts are host folders bound into each worker's container at the
	// same path.
	Mounts []string
	// Image is the worker image.
	Image string
	cli   *testcontainers.DockerClient
}

// NewWorkers returns a launcher of workers in containers limited to limit
// bytes, running the worker binary at binary (imported into an image when
// no image of it exists yet). It returns ErrNoDocker when Docker cannot be
// reached.
func NewWorkers(ctx context.Context, binary string, limit uint64, mounts []string) (*Workers, error) {
	if err := CheckDocker(ctx); err != nil {
		return nil, err
	}
	cli, err := dockerClient(ctx)
	if err != nil {
		return nil, err
	}
	w := &Workers{Limit: limit, Mounts: mounts, cli: cli}
	if w.Image, err = workerImage(ctx, cli, binary); err != nil {
		cli.Close()
		return nil, err
	}
	if err := w.checkLimit(ctx); err != nil {
		cli.Close()
		return nil, err
	}
	return w, nil
}

// ErrLimitRefused is returned by NewWorkers when Docker refuses the memory
// limit (below its minimum of 6 MB, say).
var ErrLimitRefused = errors.New("docker refuses the limit")

// checkLimit creates, and removes without starting it, a worker container
// with the limit, so that a limit Docker refuses is known before anything
// runs.
func (w *Workers) checkLimit(ctx context.Context) error {
	labels := ownerLabels()
	labels[Label+".role"] = "limit-check"
	res, err := w.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config:     &dcontainer.Config{Image: w.Image, Labels: labels},
		HostConfig: w.hostConfig(),
	})
	if res.ID != "" {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if _, rerr := w.cli.ContainerRemove(rctx, res.ID, client.ContainerRemoveOptions{Force: true}); rerr != nil && err == nil {
			err = fmt.Errorf("remove the container that checked the memory limit: %w", rerr)
		}
	}
	if cerrdefs.IsInvalidArgument(err) {
		return fmt.Errorf("%w of %d bytes: %s", ErrLimitRefused, w.Limit, dockerMessage(err))
	}
	if err != nil {
		return fmt.Errorf("check the memory limit with a worker container: %w", err)
	}
	return nil
}

// hostConfig is the part of a worker container's host configuration that
// does not depend on the job: the limit, the host's network.
func (w *Workers) hostConfig() *dcontainer.HostConfig {
	return &dcontainer.HostConfig{
		Resources:   dcontainer.Resources{Memory: int64(w.Limit), MemorySwap: int64(w.Limit)},
		NetworkMode: "host",
	}
}

// dockerMessage is the daemon's own words in err, without the client's
// prefix.
func dockerMessage(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "Error response from daemon: "); i >= 0 {
		msg = msg[i+len("Error response from daemon: "):]
	}
	return firstLine(msg)
}

// Close implements worker.Launcher. The image is kept for later runs of the
// same binary.
func (w *Workers) Close() error { return w.cli.Close() }

// workerImage returns the image of the worker binary at path, importing it
// if it is not there yet, and removes the images of other worker binaries.
func workerImage(ctx context.Context, cli *testcontainers.DockerClient, path string) (string, error) {
	sum, err := fileSHA256(path)
	if err != nil {
		return "", fmt.Errorf("worker image: %w", err)
	}
	ref := WorkerImage + ":" + sum[:16]
	if _, err := cli.ImageInspect(ctx, ref); err == nil {
		return ref, nil
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeImageTar(pw, path)) }()
	res, err := cli.ImageImport(ctx, client.ImageImportSource{Source: pr, SourceName: "-"}, ref,
		client.ImageImportOptions{Changes: []string{`ENTRYPOINT ["` + workerPath + `"]`}})
	if err != nil {
		pr.CloseWithError(err)
		return "", fmt.Errorf("import the worker image %s: %w", ref, err)
	}
	defer res.Close()
	if err := jsonStreamError(res); err != nil {
		return "", fmt.Errorf("import the worker image %s: %w", ref, err)
	}
	// Images of earlier worker builds: removed unless a container uses them.
	list, err := cli.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("reference", WorkerImage)})
	if err == nil {
		for _, img := range list.Items {
			for _, tag := range img.RepoTags {
				if tag != ref && strings.HasPrefix(tag, WorkerImage+":") {
					cli.ImageRemove(ctx, tag, client.ImageRemoveOptions{})
				}
			}
		}
	}
	return ref, nil
}

// writeImageTar writes a root file system holding the worker binary and an
// empty /tmp (SQLite may want one).
func writeImageTar(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	now := time.Now()
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777, ModTime: now}); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(workerPath, "/"), Mode: 0o755,
		Size: fi.Size(), ModTime: now}); err != nil {
		return err
	}
	if _, err := io.Copy(tw, f); err != nil {
		return err
	}
	return tw.Close()
}

// jsonStreamError reads a Docker JSON message stream to its end and returns
// the error it reports, if any.
func jsonStreamError(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m struct {
			Error       string `json:"error"`
			ErrorDetail struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Start implements worker.Launcher: it starts j's worker in a new container.
func (w *Workers) Start(ctx context.Context, j worker.Job) (worker.Process, error) {
	dir, err := os.MkdirTemp("", "iterbench-dsn-")
	if err != nil {
		return nil, fmt.Errorf("start worker container: %w", err)
	}
	p := &workerProcess{cli: w.cli, dir: dir, fifo: filepath.Join(dir, "dsn")}
	if err := syscall.Mkfifo(p.fifo, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start worker container: %w", err)
	}
	p.fed = make(chan struct{})
	go p.feed(j.DSN)
	j.DSNFile, j.DSN = p.fifo, ""

	binds := []string{dir + ":" + dir}
	for _, m := range w.Mounts {
		binds = append(binds, m+":"+m)
	}
	c, err := testcontainers.Run(ctx, w.Image,
		testcontainers.WithLogger(log.NewNoopLogger()),
		testcontainers.WithCmd(j.Args()...),
		testcontainers.WithLabels(ownerLabels()),
		testcontainers.WithLabels(map[string]string{Label + ".role": "worker"}),
		testcontainers.WithConfigModifier(func(c *dcontainer.Config) {
			c.User = fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid())
		}),
		testcontainers.WithHostConfigModifier(func(hc *dcontainer.HostConfig) {
			base := w.hostConfig()
			hc.Memory, hc.MemorySwap, hc.NetworkMode = base.Memory, base.MemorySwap, base.NetworkMode
			hc.Binds = append(hc.Binds, binds...)
		}),
	)
	if err != nil {
		if c != nil {
			terminate(c)
		}
		p.release()
		return nil, fmt.Errorf("start worker container from %s: %w", w.Image, reaperHint(err))
	}
	p.c = c
	insp, err := w.cli.ContainerInspect(ctx, c.GetContainerID(), client.ContainerInspectOptions{})
	if err == nil && insp.Container.State != nil && insp.Container.State.Running {
		p.pid = insp.Container.State.Pid
		if cg, err := rss.CgroupOf(rss.CgroupRoot, p.pid); err == nil {
			p.cgroup, p.hasCgroup = cg, true
		}
	}
	// The worker's output: stdout is its messages, stderr its last words.
	pr, pw := io.Pipe()
	p.out = pr
	logs, err := w.cli.ContainerLogs(context.WithoutCancel(ctx), c.GetContainerID(),
		client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
	if err != nil {
		pw.CloseWithError(err)
	} else {
		go func() {
			_, err := stdcopy.StdCopy(pw, &p.stderr, logs)
			logs.Close()
			pw.CloseWithError(err)
		}()
	}
	return p, nil
}

type workerProcess struct {
	cli       *testcontainers.DockerClient
	c         *testcontainers.DockerContainer
	dir, fifo string
	fed       chan struct{}
	pid       int
	cgroup    rss.Cgroup
	hasCgroup bool
	out       io.Reader
	stderr    worker.TailBuffer
}

// feed writes dsn into the FIFO once the worker opens it.
func (p *workerProcess) feed(dsn string) {
	defer close(p.fed)
	f, err := os.OpenFile(p.fifo, os.O_WRONLY, 0)
	if err != nil {
		return
	}
	io.WriteString(f, dsn)
	f.Close()
}

// release unblocks the FIFO's writer if no worker read it, and removes the
// FIFO's folder.
func (p *workerProcess) release() {
	if r, err := os.OpenFile(p.fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
		<-p.fed
		r.Close()
	}
	os.RemoveAll(p.dir)
}

func (p *workerProcess) Pid() int                   { return p.pid }
func (p *workerProcess) Cgroup() (rss.Cgroup, bool) { return p.cgroup, p.hasCgroup }
func (p *workerProcess) Output() io.Reader          { return p.out }

func (p *workerProcess) Kill() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := p.cli.ContainerKill(ctx, p.c.GetContainerID(), client.ContainerKillOptions{Signal: "KILL"})
	return err
}

// Wait implements worker.Process: it waits for the container to stop,
// reads how it ended, and removes it.
func (p *workerProcess) Wait() worker.Exit {
	defer p.release()
	defer terminate(p.c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var e worker.Exit
	wr := p.cli.ContainerWait(ctx, p.c.GetContainerID(), client.ContainerWaitOptions{Condition: dcontainer.WaitConditionNotRunning})
	select {
	case <-wr.Result:
	case err := <-wr.Error:
		e.Err = err
		return e
	}
	insp, err := p.cli.ContainerInspect(ctx, p.c.GetContainerID(), client.ContainerInspectOptions{})
	if err != nil || insp.Container.State == nil {
		e.Err = fmt.Errorf("inspect the worker's container: %v", err)
		return e
	}
	st := insp.Container.State
	e.Code, e.OOMKilled, e.Stderr = st.ExitCode, st.OOMKilled, p.stderr.String()
	if st.Error != "" && e.Stderr == "" {
		e.Stderr = st.Error
	}
	started, err1 := time.Parse(time.RFC3339Nano, st.StartedAt)
	finished, err2 := time.Parse(time.RFC3339Nano, st.FinishedAt)
	if err1 == nil && err2 == nil && finished.After(started) {
		e.Ran = finished.Sub(started)
	}
	return e
}
