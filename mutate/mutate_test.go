package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const list = `# a comment

name:    owner-check
promise: a table that is not ours is left alone
file:    seed/owner.go
from:    if !m.HasTable(items.Table) {
to:      if true {
package: ./seed
run:     ^TestStrangersTableUntouched$

# between entries
name: guard
promise:   trailing blanks go   
file: bench/worker.go
from: || context.Cause(runCtx) != nil {
to: " {"
run: ^TestOOM
`

func TestParse(t *testing.T) {
	got, err := Parse(strings.NewReader(list), "list.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Name: "owner-check", Promise: "a table that is not ours is left alone", File: "seed/owner.go",
			From: "if !m.HasTable(items.Table) {", To: "if true {", Package: "./seed", Run: "^TestStrangersTableUntouched$", Line: 3},
		{Name: "guard", Promise: "trailing blanks go", File: "bench/worker.go",
			From: "|| context.Cause(runCtx) != nil {", To: " {", Package: "./bench", Run: "^TestOOM", Line: 12},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	entry := func(skip string, extra ...string) string {
		var b strings.Builder
		for _, l := range []string{"name: a", "promise: p", "file: x/y.go", "from: f", "to: t", "run: ^T$"} {
			if !strings.HasPrefix(l, skip+":") {
				b.WriteString(l + "\n")
			}
		}
		for _, l := range extra {
			b.WriteString(l + "\n")
		}
		return b.String()
	}
	for _, c := range []struct{ name, list, want string }{
		{"missing key", entry("run"), `l:1: entry lacks "run"`},
		{"unknown key", entry("", "test: ./x"), `l:7: want "key: value"`},
		{"no colon", entry("", "just words"), `l:7: want "key: value"`},
		{"key twice", entry("", "to: u"), "l:7: to given twice"},
		{"duplicate name", entry("") + "\n" + entry(""), `l:8: name "a" is already used by the entry at line 1`},
		{"same text", strings.Replace(entry(""), "to: t", "to: f", 1), "from and to are the same"},
		{"path outside", strings.Replace(entry(""), "x/y.go", "../y.go", 1), "give a clean path inside the module"},
		{"absolute path", strings.Replace(entry(""), "x/y.go", "/x/y.go", 1), "give a clean path inside the module"},
		{"bad name", strings.Replace(entry(""), "name: a", "name: a b", 1), `name "a b"`},
		{"bad pattern", strings.Replace(entry(""), "run: ^T$", "run: (", 1), "run: error parsing regexp"},
		{"bad literal", strings.Replace(entry(""), "to: t", `to: "t`, 1), "not a Go string literal"},
		{"line break", strings.Replace(entry(""), "to: t", `to: "a\nb"`, 1), "holds a line break"},
	} {
		_, err := Parse(strings.NewReader(c.list), "l")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestApply(t *testing.T) {
	src := []byte("if n == 0 {\n\treturn ErrNotOurs\n}\nreturn nil\n")
	got, err := Apply(src, "owner.go", "if n == 0 {", "if n < 0 {")
	if err != nil || string(got) != "if n < 0 {\n\treturn ErrNotOurs\n}\nreturn nil\n" {
		t.Errorf("Apply = %q, %v", got, err)
	}
	if string(src) != "if n == 0 {\n\treturn ErrNotOurs\n}\nreturn nil\n" {
		t.Error("Apply changed its input")
	}
	for _, c := range []struct {
		from string
		n    int
	}{{"if n == 1 {", 0}, {"return", 2}} {
		_, err := Apply(src, "owner.go", c.from, "x")
		var stale *StaleError
		if !errors.As(err, &stale) || stale.Count != c.n || !strings.Contains(err.Error(), "owner.go holds") {
			t.Errorf("Apply of %q: %v, want a StaleError counting %d", c.from, err, c.n)
		}
	}
}

// The go test -json lines of the outcomes judged.
const (
	buildFailed = `{"ImportPath":"github.com/iterbench/iterbench/x [iterbench/x.test]","Action":"build-output","Output":"# iterbench/x\n"}
{"ImportPath":"github.com/iterbench/iterbench/x [iterbench/x.test]","Action":"build-output","Output":"x/x.go:3:2: declared and not used: err\n"}
{"ImportPath":"github.com/iterbench/iterbench/x [iterbench/x.test]","Action":"build-fail"}
{"Action":"start","Package":"github.com/iterbench/iterbench/x"}
{"Action":"output","Package":"github.com/iterbench/iterbench/x","Output":"FAIL\titerbench/x [build failed]\n"}
{"Action":"fail","Package":"github.com/iterbench/iterbench/x","Elapsed":0,"FailedBuild":"github.com/iterbench/iterbench/x [iterbench/x.test]"}
`
	failed = `{"Action":"start","Package":"github.com/iterbench/iterbench/x"}
{"Action":"run","Package":"github.com/iterbench/iterbench/x","Test":"TestA"}
{"Action":"output","Package":"github.com/iterbench/iterbench/x","Test":"TestA","Output":"    x_test.go:9: wrong\n"}
{"Action":"fail","Package":"github.com/iterbench/iterbench/x","Test":"TestA","Elapsed":0.1}
{"Action":"run","Package":"github.com/iterbench/iterbench/x","Test":"TestB"}
{"Action":"pass","Package":"github.com/iterbench/iterbench/x","Test":"TestB","Elapsed":0.1}
{"Action":"fail","Package":"github.com/iterbench/iterbench/x","Elapsed":0.3}
`
	passed = `{"Action":"start","Package":"github.com/iterbench/iterbench/x"}
{"Action":"run","Package":"github.com/iterbench/iterbench/x","Test":"TestServers"}
{"Action":"run","Package":"github.com/iterbench/iterbench/x","Test":"TestServers/db=postgres"}
{"Action":"output","Package":"github.com/iterbench/iterbench/x","Test":"TestServers/db=postgres","Output":"    containertest.go:40: no image iterbench/postgres\n"}
{"Action":"skip","Package":"github.com/iterbench/iterbench/x","Test":"TestServers/db=postgres","Elapsed":0}
{"Action":"run","Package":"github.com/iterbench/iterbench/x","Test":"TestServers/db=sqlite"}
{"Action":"pass","Package":"github.com/iterbench/iterbench/x","Test":"TestServers/db=sqlite","Elapsed":0}
{"Action":"pass","Package":"github.com/iterbench/iterbench/x","Test":"TestServers","Elapsed":0}
{"Action":"pass","Package":"github.com/iterbench/iterbench/x","Elapsed":0.3}
`
	allSkipped = `{"Action":"start","Package":"github.com/iterbench/iterbench/x"}
{"Action":"run","Package":"github.com/iterbench/iterbench/x","Test":"TestServers"}
{"Action":"run","Package":"github.com/iterbench/iterbench/x","Test":"TestServers/db=postgres"}
{"Action":"output","Package":"github.com/iterbench/iterbench/x","Test":"TestServers/db=postgres","Output":"=== RUN   TestServers/db=postgres\n"}
{"Action":"output","Package":"github.com/iterbench/iterbench/x","Test":"TestServers/db=postgres","Output":"    containertest.go:40: no image iterbench/postgres\n"}
{"Action":"output","Package":"github.com/iterbench/iterbench/x","Test":"TestServers/db=postgres","Output":"--- SKIP: TestServers/db=postgres (0.00s)\n"}
{"Action":"skip","Package":"github.com/iterbench/iterbench/x","Test":"TestServers/db=postgres","Elapsed":0}
{"Action":"pass","Package":"github.com/iterbench/iterbench/x","Test":"TestServers","Elapsed":0}
{"Action":"pass","Package":"github.com/iterbench/iterbench/x","Elapsed":0.3}
`
	noTests = `{"Action":"start","Package":"github.com/iterbench/iterbench/x"}
{"Action":"output","Package":"github.com/iterbench/iterbench/x","Output":"testing: warning: no tests to run\n"}
{"Action":"pass","Package":"github.com/iterbench/iterbench/x","Elapsed":0.01}
`
	panicked = `{"Action":"start","Package":"github.com/iterbench/iterbench/x"}
{"Action":"output","Package":"github.com/iterbench/iterbench/x","Output":"panic: boom\n"}
{"Action":"fail","Package":"github.com/iterbench/iterbench/x","Elapsed":0.01}
`
)

func TestParseOutcome(t *testing.T) {
	for _, c := range []struct {
		name          string
		json          string
		caught, ran   bool
		build         bool
		passed, skips []string
		reason        string
	}{
		{name: "build failed", json: "go: some warning\n" + buildFailed, build: true},
		{name: "a test failed", json: failed, caught: true, ran: true, passed: []string{"TestB"}},
		{name: "passed", json: passed, ran: true, passed: []string{"TestServers/db=sqlite"}, skips: []string{"TestServers/db=postgres"},
			reason: "containertest.go:40: no image iterbench/postgres"},
		{name: "all skipped", json: allSkipped, skips: []string{"TestServers/db=postgres"}, reason: "containertest.go:40: no image iterbench/postgres"},
		{name: "no tests", json: noTests},
		{name: "panic outside a test", json: panicked, caught: true},
	} {
		o := ParseOutcome(strings.NewReader(c.json))
		if o.Caught() != c.caught || o.Ran() != c.ran || o.BuildFailed != c.build || !reflect.DeepEqual(o.Passed, c.passed) ||
			!reflect.DeepEqual(o.Skipped, c.skips) || o.SkipReason != c.reason {
			t.Errorf("%s: caught %v, ran %v, build failed %v, passed %q, skipped %q (%q)", c.name, o.Caught(), o.Ran(), o.BuildFailed,
				o.Passed, o.Skipped, o.SkipReason)
		}
	}
	if o := ParseOutcome(strings.NewReader("go: some warning\n" + buildFailed)); !strings.Contains(o.Output, "go: some warning\n# iterbench/x\nx/x.go:3:2: declared") {
		t.Errorf("output %q", o.Output)
	}
}

// TestCopyTree: the copy holds the files, modes and links, not the
// results or the binaries.
func TestCopyTree(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	for name, content := range map[string]string{"go.mod": "module x\n", "a/b.go": "package a\n", "results/r.json": "{}", "bin/x": "ELF"} {
		os.MkdirAll(filepath.Join(src, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(src, "run.sh"), []byte("#!/bin/sh\n"), 0o755)
	os.Symlink("a/b.go", filepath.Join(src, "link.go"))
	if err := copyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "a", "b.go")); err != nil || string(b) != "package a\n" {
		t.Errorf("a/b.go: %q, %v", b, err)
	}
	if info, err := os.Stat(filepath.Join(dst, "run.sh")); err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("run.sh: %v, %v", info, err)
	}
	if l, err := os.Readlink(filepath.Join(dst, "link.go")); err != nil || l != "a/b.go" {
		t.Errorf("link.go: %q, %v", l, err)
	}
	for _, gone := range []string{"results", "bin"} {
		if _, err := os.Stat(filepath.Join(dst, gone)); !os.IsNotExist(err) {
			t.Errorf("%s copied", gone)
		}
	}
}
