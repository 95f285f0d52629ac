// Command mutate checks that the tests catch a list of deliberate bugs:
// each entry of mutate/mutations.txt breaks one promise of the docs (README.md and docs/) with
// a one-line change to the code behind it and names the tests that must
// then fail. It applies each mutation alone, runs those tests, and reports
// the mutations no test caught. `make mutate` runs it; it is slow (every
// mutation rebuilds and runs its tests), so CI keeps to `make test`.
//
//	go run ./mutate [-run REGEX] [-list FILE] [-v] [-timeout 10m] [-baseline=false] [-check] [-rev REV]
//
// # Your tree is never touched
//
// The module is copied into a temporary folder (iterbench-mutate-PID-… in
// $TMPDIR): the files git tracks or would add, as they are in the work tree
// now, without results/ and bin/ (or, with -rev, the files of that commit).
// Each mutation is applied to the copy, its tests run there, and the file is
// restored before the next. The copy is removed at the end, also on Ctrl-C
// or SIGTERM; one left by a run that was killed (SIGKILL) is removed by the
// next run. Other people may edit the work tree meanwhile.
//
// # The list
//
// mutate/mutations.txt holds one entry per mutation, entries separated by
// blank lines, lines starting with # are comments. An entry is a block of
// "key: value" lines:
//
//	name:    owner-check
//	promise: A table called iterbench_items without that mark is somebody else's: it is never dropped, reset or written
//	file:    seed/owner.go
//	from:    if !m.HasTable(items.Table) {
//	to:      if true {
//	package: ./seed
//	run:     ^TestStrangersTableUntouched$
//
// The keys:
//
//   - name: how the entry is named in the output and selected by -run
//     (letters, digits, '.', '_', '-'; unique).
//   - promise: the promise the mutation breaks, ideally in the README's
//     words.
//   - file: the file to change, relative to the module's root.
//   - from: the original text; it must occur exactly once in the file (it
//     may be part of a line: a few words that say which line). If it does
//     not, the entry is reported stale: the list has drifted from the code,
//     and must be brought up to date with it.
//   - to: the replacement.
//   - package: the package whose tests are run, as given to go test
//     (default: the file's folder, ./seed for seed/owner.go).
//   - run: the go test -run pattern naming the tests that must catch it.
//
// Values are taken as written, blanks at both ends removed; a Go string
// literal ("…" or `…`) stands for its value, to write an empty replacement
// ("") or one with blanks at its ends.
//
// Every promise the docs add gets its entry, and the issue that adds it
// quotes the summary line of `make mutate`.
//
// # What it does with each entry
//
//  1. Checks that from occurs exactly once in file (else: stale).
//  2. With -baseline (the default), runs the named tests on the unmutated
//     copy, once per package and pattern: a test that fails anyway catches
//     nothing (failing), a pattern that matches no test, or whose tests all
//     skip (no Docker, no image), judges nothing (skipped).
//  3. Applies the mutation and runs go test -count=1 -run RUN PACKAGE with
//     go test's -timeout (-timeout, default 10m). A failing test, or a
//     test binary that fails (a panic, the time-out), is caught; tests that
//     pass let the mutation survive (SURVIVED). A mutation that does not
//     compile is broken: rewrite it.
//  4. Restores the file.
//
// Container tests need what `make test` needs: Docker and the images, named
// as usual (ITERBENCH_POSTGRES_IMAGE, ITERBENCH_MARIADB_IMAGE,
// TESTCONTAINERS_RYUK_DISABLED=true where Ryuk cannot be pulled); the
// environment is passed to the tests as it is, except
// $ITERBENCH_WORKER_BIN, which would make them run a worker built from
// unmutated code.
//
// # Output
//
// One line per mutation, as it is judged: its verdict, how long its tests
// took and its name; then, for every verdict but caught, what it breaks and
// why it was not caught (with -v, the tests' output of a survivor). Last, a
// summary:
//
//	19 mutations: 19 caught, 0 survived, 0 stale (6m2s)
//
// The exit status is 0 when every mutation was caught, 1 otherwise
// (survived, stale, broken, failing, skipped), 2 for bad flags or a list
// that does not parse, 130 when interrupted.
//
// # Flags
//
//	-run REGEX      only the entries whose name matches
//	-list FILE      the list (default: mutate/mutations.txt in the module)
//	-v              print the tests' output of each survivor
//	-timeout D      go test's -timeout for each run (default 10m)
//	-baseline       run the named tests on the unmutated code first (default true)
//	-check          only check that every entry applies exactly once; run no test
//	-rev REV        mutate the files of commit REV (git archive) instead of the work tree
//	-go CMD         the go command (default go)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Verdicts.
const (
	caught   = "caught"
	survived = "SURVIVED"
	stale    = "stale"
	broken   = "broken"  // the mutated code does not build
	failing  = "failing" // the named tests fail without the mutation
	skipped  = "skipped" // no named test ran: none matched, or all skipped
	applies  = "applies" // -check: the original text occurs once
)

// options are the command line's.
type options struct {
	run               *regexp.Regexp
	list, rev, goCmd  string
	verbose, baseline bool
	check             bool
	timeout           time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("mutate", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var o options
	runPattern := fl.String("run", "", "only the entries whose name matches this regular expression")
	fl.StringVar(&o.list, "list", "", "the list of mutations (default: mutate/mutations.txt in the module)")
	fl.BoolVar(&o.verbose, "v", false, "print the tests' output of each survivor")
	fl.DurationVar(&o.timeout, "timeout", 10*time.Minute, "go test's -timeout for each run")
	fl.BoolVar(&o.baseline, "baseline", true, "run the named tests on the unmutated code first")
	fl.BoolVar(&o.check, "check", false, "only check that every entry applies exactly once; run no test")
	fl.StringVar(&o.rev, "rev", "", "mutate the files of this commit instead of the work tree")
	fl.StringVar(&o.goCmd, "go", "go", "the go command")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./mutate [flags]   (see go doc ./mutate)")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "mutate: unexpected arguments %q\n", fl.Args())
		return 2
	}
	if o.timeout <= 0 {
		fmt.Fprintln(stderr, "mutate: -timeout must be positive")
		return 2
	}
	var err error
	if o.run, err = regexp.Compile(*runPattern); err != nil {
		fmt.Fprintf(stderr, "mutate: -run: %v\n", err)
		return 2
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(stderr, "mutate:", err)
		return 2
	}
	if o.list == "" {
		o.list = filepath.Join(root, "mutate", "mutations.txt")
	}
	entries, err := readList(o.list)
	if err != nil {
		fmt.Fprintln(stderr, "mutate:", err)
		return 2
	}
	var chosen []Entry
	for _, e := range entries {
		if o.run.MatchString(e.Name) {
			chosen = append(chosen, e)
		}
	}
	if len(chosen) == 0 {
		fmt.Fprintf(stderr, "mutate: no entry of %s matches -run %q\n", o.list, *runPattern)
		return 2
	}

	start := time.Now()
	dir, err := copyModule(root, o.rev)
	if err != nil {
		fmt.Fprintln(stderr, "mutate: copy the module:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(stderr, "mutate: %d mutations of a copy of %s in %s\n", len(chosen), root, dir)

	m := &mutator{opts: o, dir: dir, env: testEnv(dir), baselines: map[string]baselineResult{}, out: stdout}
	counts := map[string]int{}
	for _, e := range chosen {
		if ctx.Err() != nil {
			break
		}
		v := m.judge(ctx, e)
		if ctx.Err() != nil {
			break // the verdict of an interrupted run means nothing
		}
		counts[v]++
	}
	interrupted := ctx.Err() != nil
	judged := 0
	for _, n := range counts {
		judged += n
	}
	line := fmt.Sprintf("%d mutations: %d caught, %d survived, %d stale", judged, counts[caught], counts[survived], counts[stale])
	for _, v := range []string{broken, failing, skipped} {
		if counts[v] > 0 {
			line += fmt.Sprintf(", %d %s", counts[v], v)
		}
	}
	if o.check {
		line = fmt.Sprintf("%d mutations: %d apply, %d stale", judged, counts[applies], counts[stale])
	}
	fmt.Fprintf(stdout, "%s (%s)\n", line, time.Since(start).Round(time.Second))
	switch {
	case interrupted:
		fmt.Fprintf(stderr, "mutate: interrupted after %d of %d mutations\n", judged, len(chosen))
		return 130
	case judged == counts[caught] || (o.check && counts[stale] == 0):
		return 0
	}
	return 1
}

// moduleRoot finds the folder holding go.mod, from the current one up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside a Go module (no go.mod here or above)")
		}
		dir = parent
	}
}

func readList(file string) ([]Entry, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, file)
}

// mutator judges entries in the module copy at dir.
type mutator struct {
	opts      options
	dir       string
	env       []string
	baselines map[string]baselineResult // by package and pattern
	out       io.Writer
}

type baselineResult struct {
	verdict, why string // verdict "" when the tests pass
}

// judge applies one entry, runs its tests, restores the file, prints the
// verdict and returns it.
func (m *mutator) judge(ctx context.Context, e Entry) string {
	path := filepath.Join(m.dir, filepath.FromSlash(e.File))
	orig, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		err = &StaleError{File: e.File, From: e.From, Count: -1}
	}
	var mutated []byte
	if err == nil {
		mutated, err = Apply(orig, e.File, e.From, e.To)
	}
	var stErr *StaleError
	switch {
	case errors.As(err, &stErr):
		return m.report(e, stale, 0, stErr.Error()+": bring the entry up to date with the code", "")
	case err != nil:
		return m.report(e, stale, 0, err.Error(), "")
	case m.opts.check:
		return m.report(e, applies, 0, "", "")
	}

	if m.opts.baseline {
		b := m.baseline(ctx, e)
		if ctx.Err() != nil {
			return ""
		}
		if b.verdict != "" {
			return m.report(e, b.verdict, 0, b.why, "")
		}
	}

	perm := os.FileMode(0o644)
	if info, err := os.Stat(path); err == nil {
		perm = info.Mode().Perm()
	}
	if err := os.WriteFile(path, mutated, perm); err != nil {
		return m.report(e, broken, 0, "write the mutation: "+err.Error(), "")
	}
	start := time.Now()
	o, err := goTest(ctx, m.opts.goCmd, m.dir, m.env, e.Package, e.Run, m.opts.timeout)
	took := time.Since(start)
	if rerr := os.WriteFile(path, orig, perm); rerr != nil {
		// The copy is no longer the code: nothing after this means anything.
		fmt.Fprintln(m.out, "mutate: restore", e.File, "in the copy:", rerr)
		os.RemoveAll(m.dir)
		os.Exit(1)
	}
	if ctx.Err() != nil {
		return ""
	}
	switch {
	case errors.Is(err, errTimedOut):
		// A mutation that makes the tests hang is caught, as one that
		// makes them time out.
		fmt.Fprintf(m.out, "%s: %v\n", e.Name, err)
		return m.report(e, caught, took, "", "")
	case err != nil:
		return m.report(e, broken, took, err.Error(), "")
	case o.BuildFailed:
		return m.report(e, broken, took, "the mutated code does not build: make it compile", tail(o.Output, 20))
	case o.Caught():
		return m.report(e, caught, took, "", "")
	case !o.Ran():
		return m.report(e, skipped, took, noVerdict(e, o), "")
	}
	var output string
	if m.opts.verbose {
		output = o.Output
	}
	return m.report(e, survived, took, fmt.Sprintf("%s passed with %q → %q in %s", strings.Join(o.Passed, ", "), e.From, e.To, e.File), output)
}

// baseline runs an entry's tests on the unmutated copy, once per package
// and pattern.
func (m *mutator) baseline(ctx context.Context, e Entry) baselineResult {
	key := e.Package + "\x00" + e.Run
	if b, ok := m.baselines[key]; ok {
		return b
	}
	var b baselineResult
	o, err := goTest(ctx, m.opts.goCmd, m.dir, m.env, e.Package, e.Run, m.opts.timeout)
	switch {
	case ctx.Err() != nil:
		return b
	case err != nil:
		b = baselineResult{failing, "unmutated: " + err.Error()}
	case o.BuildFailed:
		b = baselineResult{failing, "the unmutated code does not build:\n" + indent(tail(o.Output, 20))}
	case o.Caught():
		b = baselineResult{failing, fmt.Sprintf("the named tests fail without the mutation (%s), so they catch nothing:\n%s",
			strings.Join(o.Failed, ", "), indent(tail(o.Output, 20)))}
	case !o.Ran():
		b = baselineResult{skipped, noVerdict(e, o)}
	}
	m.baselines[key] = b
	return b
}

// noVerdict says why no test ran to a verdict.
func noVerdict(e Entry, o Outcome) string {
	if len(o.Skipped) == 0 {
		return fmt.Sprintf("-run %s names no test in %s", e.Run, e.Package)
	}
	why := fmt.Sprintf("every named test skipped (%s)", strings.Join(o.Skipped, ", "))
	if o.SkipReason != "" {
		why += ": " + o.SkipReason
	}
	return why
}

// report prints an entry's verdict: one line, and for every verdict but
// caught what it breaks and why, and output if any.
func (m *mutator) report(e Entry, verdict string, took time.Duration, why, output string) string {
	d := "-"
	if took > 0 {
		d = took.Round(100 * time.Millisecond).String()
	}
	fmt.Fprintf(m.out, "%-8s %7s  %s\n", verdict, d, e.Name)
	if verdict != caught && verdict != applies {
		fmt.Fprintf(m.out, "         promise: %s\n", e.Promise)
		fmt.Fprintf(m.out, "         tests:   go test -run '%s' %s\n", e.Run, e.Package)
		if why != "" {
			fmt.Fprintf(m.out, "         %s\n", strings.ReplaceAll(why, "\n", "\n         "))
		}
		if output != "" {
			fmt.Fprintln(m.out, indent(strings.TrimRight(output, "\n")))
		}
	}
	return verdict
}

func indent(s string) string {
	return "           " + strings.ReplaceAll(s, "\n", "\n           ")
}
