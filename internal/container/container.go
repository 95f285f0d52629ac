// Package container starts PostgreSQL and MariaDB servers in containers
// through testcontainers-go, and always terminates what it starts.
package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	dockercontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/log"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/iterbench/iterbench/internal/database"
)

// Environment variables that name the image of each database.
const (
	PostgresImageEnv = "ITERBENCH_POSTGRES_IMAGE"
	MariaDBImageEnv  = "ITERBENCH_MARIADB_IMAGE"
)

// The default images: the official ones, so that a laptop with Docker
// needs nothing else. `make images` builds iterbench/postgres and
// iterbench/mariadb for machines without a registry.
const (
	DefaultPostgresImage = "postgres:17"
	DefaultMariaDBImage  = "mariadb:11.4"
)

// Label marks every container iterbench starts, so that leftovers can be
// found: docker ps -a --filter label=org.iterbench=1
const Label = "org.iterbench"

// Credentials of the containerised servers.
const (
	user     = "iterbench"
	password = "iterbench-pw"
	dbName   = "iterbench"
)

// Image returns the image to use for kind: the environment variable if set,
// else the official image.
func Image(kind database.Kind) string {
	switch kind {
	case database.Postgres:
		if v := os.Getenv(PostgresImageEnv); v != "" {
			return v
		}
		return DefaultPostgresImage
	case database.MariaDB:
		if v := os.Getenv(MariaDBImageEnv); v != "" {
			return v
		}
		return DefaultMariaDBImage
	}
	return ""
}

// spec is what one kind of server needs.
type spec struct {
	port string
	env  map[string]string
	cmd  []string
	// tmpfs is a folder that is mounted as tmpfs and holds the data folder.
	tmpfs  string
	driver string // database/sql driver name for the wait strategy
	dsn    func(host, port string) string
}

func specFor(kind database.Kind) (spec, error) {
	switch kind {
	case database.Postgres:
		return spec{
			port: "5432/tcp",
			env: map[string]string{"POSTGRES_USER": user, "POSTGRES_PASSWORD": password, "POSTGRES_DB": dbName,
				"PGDATA": "/var/lib/iterbench-tmpfs/pgdata"},
			tmpfs: "/var/lib/iterbench-tmpfs",
			// fsync=off, as testcontainers' postgres module sets: the
			// comparison is of strategies, not of the disk.
			cmd:    []string{"postgres", "-c", "fsync=off"},
			driver: "pgx",
			dsn: func(host, port string) string {
				return fmt.Sprintf("postgres://%s:%s@%s:%s/%s?sslmode=disable", user, password, host, port, dbName)
			},
		}, nil
	case database.MariaDB:
		return spec{
			port: "3306/tcp",
			env: map[string]string{"MARIADB_ROOT_PASSWORD": password, "MARIADB_USER": user, "MARIADB_PASSWORD": password,
				"MARIADB_DATABASE": dbName},
			// No flush to disk at every commit: the counterpart of fsync=off.
			cmd:    []string{"mariadbd", "--innodb-flush-log-at-trx-commit=2", "--datadir=/var/lib/iterbench-tmpfs/data"},
			tmpfs:  "/var/lib/iterbench-tmpfs",
			driver: "mysql",
			// As root: reading information_schema.innodb_trx for the
			// server's cost needs the PROCESS privilege.
			dsn: func(host, port string) string {
				return fmt.Sprintf("mysql://root:%s@%s:%s/%s", password, host, port, dbName)
			},
		}, nil
	}
	return spec{}, fmt.Errorf("no container for database %q", kind)
}

// Server is a running containerised database server.
type Server struct {
	Kind  database.Kind
	Image string
	// DSN connects to the server from this host.
	DSN string
	// Command is the server command line the container was started with.
	Command string
	// StartSeconds is the time from asking for the container to the server
	// answering queries.
	StartSeconds float64
	// Name is the server's name on its cluster's network ("primary",
	// "node2"); empty for a single server.
	Name string
	c    *testcontainers.DockerContainer
}

// ErrNoDocker is returned by Start when Docker cannot be reached.
var ErrNoDocker = errors.New("docker is not reachable")

// ErrNoImage is returned by Start when the image is neither present nor
// pullable.
var ErrNoImage = errors.New("image not available")

// Start starts a server of the given kind from image and waits until it
// answers SQL queries; testcontainers logs to logger (nil: nowhere). The caller must call Terminate, also after errors
// later on; Start itself leaves no container behind when it fails.
func Start(ctx context.Context, kind database.Kind, image string, logger log.Logger) (*Server, error) {
	if err := CheckDocker(ctx); err != nil {
		return nil, err
	}
	if err := checkImage(ctx, image); err != nil {
		return nil, err
	}
	return startNode(ctx, kind, image, logger, node{})
}

// node is how one server of a cluster differs from a single one.
type node struct {
	// network and alias: the Docker network the node joins, and its name
	// there; empty: Docker's default bridge.
	network, alias string
	// args are added to the server's command line.
	args []string
	// script, if set, replaces the image's entry point: a shell script run
	// as user, given the server's command line as its arguments.
	script, user string
	// env is added to the container's environment.
	env map[string]string
}

// startNode starts one server as n says.
func startNode(ctx context.Context, kind database.Kind, image string, logger log.Logger, n node) (*Server, error) {
	if logger == nil {
		logger = log.NewNoopLogger()
	}
	sp, err := specFor(kind)
	if err != nil {
		return nil, err
	}
	cmd := append(slices.Clone(sp.cmd), n.args...)
	env := maps.Clone(sp.env)
	maps.Copy(env, n.env)
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(logger),
		testcontainers.WithExposedPorts(sp.port),
		testcontainers.WithEnv(env),
		testcontainers.WithCmd(cmd...),
		testcontainers.WithLabels(ownerLabels()),
		// The data folder lives in memory: the comparison is of strategies,
		// not of this machine's disk (an overlay file system on a virtual
		// disk made a 50,000-row COPY three times slower).
		testcontainers.WithTmpfs(map[string]string{sp.tmpfs: "rw,mode=1777"}),
		testcontainers.WithWaitStrategyAndDeadline(3*time.Minute,
			wait.ForSQL(sp.port, sp.driver, func(host string, port network.Port) string {
				return sqlURL(kind, sp.dsn(reachable(ctx, host, port.Port()), port.Port()))
			}).WithStartupTimeout(3*time.Minute).WithPollInterval(200*time.Millisecond)),
	}
	if n.network != "" {
		opts = append(opts, tcnetwork.WithNetworkName([]string{n.alias}, n.network))
	}
	if n.script != "" {
		opts = append(opts, testcontainers.WithEntrypoint("/bin/sh", "-c", n.script, "sh"),
			testcontainers.WithConfigModifier(func(c *dockercontainer.Config) { c.User = n.user }))
	}
	start := time.Now()
	c, err := testcontainers.Run(ctx, image, opts...)
	if err != nil {
		msg := reaperHint(err)
		if c != nil {
			if tail := logTail(c, 5); tail != "" {
				msg = fmt.Errorf("%w; the container's last log lines: %s", msg, tail)
			}
			terminate(c)
		}
		what := string(kind)
		if n.alias != "" {
			what += " " + n.alias
		}
		return nil, fmt.Errorf("start %s container from %s: %w", what, image, msg)
	}
	s := &Server{Kind: kind, Image: image, Name: n.alias, Command: strings.Join(cmd, " ") + " (data folder on tmpfs)", c: c}
	addr, err := address(ctx, c, sp.port)
	if err != nil {
		terminate(c)
		return nil, fmt.Errorf("find %s container's address: %w", kind, err)
	}
	s.DSN = sp.dsn(addr.host, addr.port)
	s.StartSeconds = time.Since(start).Seconds()
	return s, nil
}

// logTail returns the last n lines the container logged, joined by " | ".
func logTail(c *testcontainers.DockerContainer, n int) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := c.Logs(ctx)
	if err != nil {
		return ""
	}
	defer r.Close()
	b, _ := io.ReadAll(r)
	var lines []string
	// testcontainers takes Docker's stream headers off.
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

type hostPort struct{ host, port string }

// address returns where to connect to the server: the container's own
// address on its bridge network when this machine can reach it (as on
// Linux), which avoids Docker's userland proxy and its extra hop on every
// statement (it doubled the time of one-row UPDATEs here); otherwise the
// published port.
func address(ctx context.Context, c *testcontainers.DockerContainer, port string) (hostPort, error) {
	internal, err := network.ParsePort(port)
	if err != nil {
		return hostPort{}, err
	}
	if ip, err := c.ContainerIP(ctx); err == nil && ip != "" && dialable(ctx, ip, internal.Port()) {
		return hostPort{ip, internal.Port()}, nil
	}
	host, err := c.Host(ctx)
	if err != nil {
		return hostPort{}, err
	}
	mapped, err := c.MappedPort(ctx, port)
	if err != nil {
		return hostPort{}, err
	}
	return hostPort{reachable(ctx, host, mapped.Port()), mapped.Port()}, nil
}

func dialable(ctx context.Context, host, port string) bool {
	conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// reachable returns the host at which a published port accepts
// connections: testcontainers' choice, or else the loopback address.
// testcontainers takes the presence of /.dockerenv to mean that it runs in
// a container and picks the default gateway, which is wrong where that file
// exists but the Docker daemon runs on the same machine.
// TESTCONTAINERS_HOST_OVERRIDE still decides when it is set.
func reachable(ctx context.Context, host, port string) string {
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") != "" {
		return host
	}
	for _, h := range []string{host, "127.0.0.1"} {
		if dialable(ctx, h, port) {
			return h
		}
	}
	return host
}

// sqlURL turns a DSN into what database/sql's driver takes.
func sqlURL(kind database.Kind, dsn string) string {
	if kind == database.MariaDB {
		d, err := database.MySQLDSN(dsn)
		if err == nil {
			return d
		}
	}
	return dsn
}

// ID is the container's id.
func (s *Server) ID() string {
	if s == nil || s.c == nil {
		return ""
	}
	return s.c.GetContainerID()
}

// PID is the host's process id of the container's first process, the
// server: its cgroup is the container's.
func (s *Server) PID(ctx context.Context) (int, error) {
	if s == nil || s.c == nil {
		return 0, errors.New("no container")
	}
	in, err := s.c.Inspect(ctx)
	if err != nil {
		return 0, fmt.Errorf("inspect the container: %w", err)
	}
	if in.State == nil || in.State.Pid == 0 {
		return 0, errors.New("the container has no running process")
	}
	return in.State.Pid, nil
}

// Terminate stops and removes the container. It is safe to call more than
// once and on a nil Server.
func (s *Server) Terminate(ctx context.Context) error {
	if s == nil || s.c == nil {
		return nil
	}
	c := s.c
	s.c = nil
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := c.Terminate(ctx); err != nil && !gone(err) {
		return fmt.Errorf("terminate %s container: %w", s.Kind, err)
	}
	return nil
}

// Stop stops the container without removing it, as a crash would: the
// server goes away under its clients. Terminate still removes it.
func (s *Server) Stop(ctx context.Context) error {
	if s == nil || s.c == nil {
		return nil
	}
	timeout := time.Duration(0)
	return s.c.Stop(ctx, &timeout)
}

// gone reports whether err says the container no longer exists (removed
// by iterbench clean, say): terminated already.
func gone(err error) bool {
	return cerrdefs.IsNotFound(err) || strings.Contains(err.Error(), "No such container")
}

func terminate(c *testcontainers.DockerContainer) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c.Terminate(ctx)
}

// CheckDocker returns ErrNoDocker (wrapped with the reason) when the Docker
// daemon cannot be reached.
func CheckDocker(ctx context.Context) (err error) {
	defer func() {
		// testcontainers panics in some setups without Docker.
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrNoDocker, r)
		}
	}()
	cli, err := dockerClient(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(pctx, client.PingOptions{}); err != nil {
		return fmt.Errorf("%w: %v", ErrNoDocker, err)
	}
	return nil
}

// CheckImage returns ErrNoImage (wrapped) when image is neither present
// nor pullable, ErrNoDocker when Docker cannot be reached.
func CheckImage(ctx context.Context, image string) error {
	if err := CheckDocker(ctx); err != nil {
		return err
	}
	return checkImage(ctx, image)
}

// checkImage returns ErrNoImage when image is not present locally and
// cannot be pulled, naming the way to build the local images.
func checkImage(ctx context.Context, image string) error {
	cli, err := dockerClient(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	pullErr, err := pullIfMissing(ctx, cli, image)
	if err != nil {
		return err
	}
	if pullErr != nil {
		return fmt.Errorf("%w: %s is not present and could not be pulled (%v); on a machine without a registry "+
			"build the local images with make images and set %s=iterbench/postgres and %s=iterbench/mariadb",
			ErrNoImage, image, firstLine(pullErr.Error()), PostgresImageEnv, MariaDBImageEnv)
	}
	return nil
}

// pullIfMissing pulls image unless it is present. pullErr says why a
// missing image could not be pulled; err, why Docker could not be asked.
func pullIfMissing(ctx context.Context, api imageAPI, image string) (pullErr, err error) {
	_, err = api.ImageInspect(ctx, image)
	if err == nil {
		return nil, nil
	}
	if !cerrdefs.IsNotFound(err) {
		return nil, fmt.Errorf("inspect image %s: %w", image, err)
	}
	pull, err := api.ImagePull(ctx, image, client.ImagePullOptions{})
	if err == nil {
		err = pull.Wait(ctx)
		pull.Close()
	}
	return err, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
