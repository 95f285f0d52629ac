package worker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// The worker binary.
const (
	// BinaryName is the worker executable's name; `make build` puts it
	// beside bin/iterbench.
	BinaryName = "iterbench-worker"
	// BinaryEnv, if set, names the worker executable to use.
	BinaryEnv = "ITERBENCH_WORKER_BIN"
	// Module is iterbench's module path.
	Module = "github.com/iterbench/iterbench"
	// Package is the worker's main package.
	Package = Module + "/cmd/iterbench-worker"
)

// moduleVersion returns the version of iterbench's module this executable
// was built from, when it was built from a published version (go install
// …@v1.2.3, or a dependency of another module), and "" when built from a
// source checkout ("(devel)").
func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	v := ""
	if bi.Main.Path == Module {
		v = bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == Module {
			v = d.Version
			if d.Replace != nil {
				v = d.Replace.Version
			}
		}
	}
	if v == "(devel)" {
		return ""
	}
	return v
}

// BuildArgs are the `go build` arguments of the worker binary: statically
// linked (cgo's SQLite included), so that an image holding nothing but this
// one file can run it. The Makefile builds it with the same arguments.
var BuildArgs = []string{
	"-tags", "netgo,osusergo,sqlite_omit_load_extension",
	"-ldflags", "-linkmode external -extldflags -static",
}

// Find returns the worker executable: $ITERBENCH_WORKER_BIN if set, else
// iterbench-worker beside the running executable, else one built from the
// module's source into the user's cache folder (as under `go run` and
// `go test`, whose executables stand in a temporary folder). status, if not
// nil, is told when a build starts, which takes a minute the first time.
func Find(ctx context.Context, status io.Writer) (string, error) {
	if p := os.Getenv(BinaryEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("$%s: %w", BinaryEnv, err)
		}
		return p, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), BinaryName)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "iterbench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("build the worker: %w", err)
	}
	if status != nil {
		fmt.Fprintf(status, "building %s (%s beside the iterbench executable, or $%s, avoids this)\n", BinaryName, BinaryName, BinaryEnv)
	}
	p, err := Build(ctx, dir)
	if err != nil {
		return "", fmt.Errorf("%w; build it with make build, or set $%s", err, BinaryEnv)
	}
	return p, nil
}

// Build builds the worker into dir: with go install …@version from the
// module proxy when this executable was built from a published version of
// iterbench, else from the module's source (the current folder must be
// inside a module that has it), and returns its path; extraTags are added
// to the build tags (tests build a worker with deliberately faulty
// strategies so). Concurrent builds into one folder do not disturb each
// other: each writes a file of its own and renames it into place.
func Build(ctx context.Context, dir string, extraTags ...string) (string, error) {
	tmp, err := os.CreateTemp(dir, "."+BinaryName+"-*")
	if err != nil {
		return "", fmt.Errorf("build the worker: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	args := append([]string{"build"}, BuildArgs...)
	if len(extraTags) > 0 {
		args[2] += "," + strings.Join(extraTags, ",")
	}
	built := tmp.Name()
	cmd := exec.CommandContext(ctx, "go", append(args, "-o", built, Package)...)
	if v := moduleVersion(); v != "" {
		// No source checkout: build the worker of this very version from
		// the module proxy, as go install does, into a folder of its own.
		bin, err := os.MkdirTemp(dir, ".bin-")
		if err != nil {
			return "", fmt.Errorf("build the worker: %w", err)
		}
		defer os.RemoveAll(bin)
		args[0] = "install"
		cmd = exec.CommandContext(ctx, "go", append(args, Package+"@"+v)...)
		cmd.Dir = bin
		cmd.Env = append(os.Environ(), "GOBIN="+bin)
		built = filepath.Join(bin, BinaryName)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s %s: %v: %s", args[0], Package, err, strings.TrimSpace(out.String()))
	}
	p := filepath.Join(dir, BinaryName)
	if err := os.Rename(built, p); err != nil {
		return "", fmt.Errorf("build the worker: %w", err)
	}
	return p, nil
}

// CopyBinary copies the executable at path into dir, keeping its name, and
// returns the copy's path.
func CopyBinary(path, dir string) (string, error) {
	src, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("copy the worker: %w", err)
	}
	defer src.Close()
	dst := filepath.Join(dir, filepath.Base(path))
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return "", fmt.Errorf("copy the worker: %w", err)
	}
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return "", fmt.Errorf("copy the worker: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("copy the worker: %w", err)
	}
	return dst, nil
}
