package main

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iterbench/iterbench/internal/worker"
)

// TestGoInstall does what a user without a source checkout does: go
// install …/cmd/iterbench@version, then run it from a folder that is no
// module. The version comes from a module proxy in a folder (this
// checkout, zipped as version v0.0.1) in front of the real one. The CLI
// must build its worker of the same version itself and measure.
func TestGoInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("installs and builds iterbench from a module proxy")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	// A version of its own: the module cache is shared with this machine,
	// and would otherwise serve an earlier run's copy of the module
	// (a mutation of the source would go unseen).
	version := fmt.Sprintf("v0.0.1-test.%d", time.Now().UnixNano())
	modcache := goEnv(t, "GOMODCACHE")
	t.Cleanup(func() { forgetVersion(modcache, worker.Module, version) })
	dir := filepath.Join(proxy, worker.Module, "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"list":            version + "\n",
		version + ".info": `{"Version":"` + version + `","Time":"2026-12-01T00:00:00Z"}`,
		version + ".mod":  string(gomod),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zipModule(t, root, worker.Module+"@"+version, filepath.Join(dir, version+".zip"))

	upstream, _ := exec.Command("go", "env", "GOPROXY").Output()
	env := append(os.Environ(),
		"GOPROXY=file://"+filepath.ToSlash(proxy)+","+strings.TrimSpace(string(upstream)),
		"GONOSUMDB="+worker.Module, "GOFLAGS=-buildvcs=false",
		"GOBIN="+filepath.Join(tmp, "bin"), "XDG_CACHE_HOME="+filepath.Join(tmp, "cache"), "HOME="+tmp,
		"GOCACHE="+goEnv(t, "GOCACHE"), "GOMODCACHE="+modcache, worker.BinaryEnv+"=")
	work := filepath.Join(tmp, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	install := exec.CommandContext(t.Context(), "go", "install", worker.Module+"/cmd/iterbench@"+version)
	install.Dir, install.Env = work, env
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install: %v\n%s", err, out)
	}
	run := exec.CommandContext(t.Context(), filepath.Join(tmp, "bin", "iterbench"), "run", "--rows", "2000", "--repeats", "1",
		"--strategies", "keyset-bulk", "--out", filepath.Join(work, "out"))
	run.Dir, run.Env = work, env
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("the installed iterbench: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "building "+worker.BinaryName) {
		t.Errorf("it did not say it builds its worker:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(tmp, "cache", "iterbench", worker.BinaryName)); err != nil {
		t.Errorf("no worker built into the cache: %v", err)
	}
	if _, err := os.Stat(filepath.Join(work, "out", "REPORT.md")); err != nil {
		t.Errorf("no report: %v\n%s", err, out)
	}
}

// forgetVersion removes version of module from the module cache modcache
// (its extracted files are read-only).
func forgetVersion(modcache, module, version string) {
	dir := filepath.Join(modcache, module+"@"+version)
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	os.RemoveAll(dir)
	matches, _ := filepath.Glob(filepath.Join(modcache, "cache", "download", module, "@v", version+".*"))
	for _, m := range matches {
		os.Remove(m)
	}
}

// goEnv returns go env NAME, so that the child shares this machine's
// caches whatever HOME it is given.
func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// zipModule writes the module at root as a module proxy's zip: every file
// under prefix/, without .git and without nested modules (folders with a
// go.mod of their own, such as the examples).
func zipModule(t *testing.T, root, prefix, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel != "." && (d.Name() == ".git" || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" && rel == "testdata") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		w, err := zw.Create(prefix + "/" + filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		r, err := os.Open(p)
		if err != nil {
			return err
		}
		defer r.Close()
		_, err = io.Copy(w, r)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
}
