package main

// Docs that cannot drift: README.md and docs/*.md are checked against the
// code they describe, as benchstat's doc test checks its documentation
// (golang.org/x/perf/cmd/benchstat/doc_test.go). Each test fails when one
// side changes without the other: a flag, a command, a command line shown
// in the docs, a make target, the worker's build arguments, a strategy.

import (
	"context"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iterbench/iterbench/internal/container"
	"github.com/iterbench/iterbench/internal/strategies"
	"github.com/iterbench/iterbench/internal/worker"
)

// moduleRoot is the module's root, seen from this package's folder.
const moduleRoot = "../.."

// docFiles returns README.md and docs/*.md, by path relative to the root.
func docFiles(t *testing.T) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(moduleRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	paths = append([]string{filepath.Join(moduleRoot, "README.md")}, paths...)
	docs := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(moduleRoot, p)
		docs[rel] = string(b)
	}
	if len(docs) < 2 {
		t.Fatalf("found no docs/*.md beside README.md")
	}
	return docs
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// codeBlock is a fenced block of a Markdown file.
type codeBlock struct {
	lang  string
	line  int // of its first line
	lines []string
}

// markdown splits a Markdown text into its fenced code blocks and the rest
// (the prose, fences removed).
func markdown(text string) (blocks []codeBlock, prose string) {
	var b strings.Builder
	var cur *codeBlock
	for i, l := range strings.Split(text, "\n") {
		if fence, ok := strings.CutPrefix(strings.TrimSpace(l), "```"); ok {
			if cur == nil {
				cur = &codeBlock{lang: strings.TrimSpace(fence), line: i + 2}
			} else {
				blocks, cur = append(blocks, *cur), nil
			}
			b.WriteString("\n")
			continue
		}
		if cur != nil {
			cur.lines = append(cur.lines, l)
			b.WriteString("\n")
			continue
		}
		b.WriteString(l + "\n")
	}
	return blocks, b.String()
}

// inlineCode returns the `code spans` of prose, a span's line breaks made
// blanks.
var inlineCodeRE = regexp.MustCompile("`([^`]+)`")

func inlineCode(prose string) []string {
	var spans []string
	for _, m := range inlineCodeRE.FindAllStringSubmatch(prose, -1) {
		spans = append(spans, strings.Join(strings.Fields(m[1]), " "))
	}
	return spans
}

// tableRows returns the cells of the rows of the Markdown table whose
// header line starts with header.
func tableRows(t *testing.T, text, header string) [][]string {
	t.Helper()
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, header) {
			continue
		}
		var rows [][]string
		for _, r := range lines[i+2:] {
			if !strings.HasPrefix(r, "|") {
				break
			}
			cells := strings.Split(strings.Trim(r, "|"), " | ")
			for j := range cells {
				cells[j] = strings.TrimSpace(cells[j])
			}
			rows = append(rows, cells)
		}
		return rows
	}
	t.Fatalf("no table with the header %q", header)
	return nil
}

// flagNames returns the names of the flags of fs, with their defaults.
func flagNames(fs *flag.FlagSet) map[string]string {
	m := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) { m[f.Name] = f.DefValue })
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// sameSet reports the names that are in one of docs and code only.
func sameSet(t *testing.T, what string, docs, code []string, docSide, codeSide string) {
	t.Helper()
	for _, n := range docs {
		if !slices.Contains(code, n) {
			t.Errorf("%s: %q is in %s, not in %s", what, n, docSide, codeSide)
		}
	}
	for _, n := range code {
		if !slices.Contains(docs, n) {
			t.Errorf("%s: %q is in %s, not in %s", what, n, codeSide, docSide)
		}
	}
}

// literalDefault is a default the flags table states as a value rather
// than describes ("none", "random", "fastest measured"): a number, a
// duration, or one word in backticks.
var literalWordRE = regexp.MustCompile("^`[a-z0-9._-]+`$")

func literalDefault(cell string) (string, bool) {
	if literalWordRE.MatchString(cell) {
		return strings.Trim(cell, "`"), true
	}
	if _, err := strconv.ParseFloat(cell, 64); err == nil {
		return cell, true
	}
	if _, err := time.ParseDuration(cell); err == nil {
		return cell, true
	}
	return "", false
}

// zeroDefault: the flag has no default of its own (the table describes
// what happens then).
func zeroDefault(def string) bool {
	return def == "" || def == "0" || def == "0s" || def == "false"
}

// TestDocFlagsTable checks the flags table of docs/command-line.md against
// the flag sets run and sweep register: the same names, and the defaults
// the table states as values. And the flags the page names for seed and
// compare.
func TestDocFlagsTable(t *testing.T) {
	const page = "docs/command-line.md"
	text := readDoc(t, page)
	rows := tableRows(t, text, "| flag | default | meaning |")

	runFS, _, _, _ := newRunFlags()
	runFlags := flagNames(runFS)
	sweepFS, _, _ := newSweepFlags()
	sweepFlags := flagNames(sweepFS)

	var documented, forSweep []string
	defaults := map[string]string{}
	for _, r := range rows {
		if len(r) != 3 {
			t.Errorf("%s: flags table row %q does not have three cells", page, r)
			continue
		}
		name, ok := strings.CutPrefix(strings.Trim(r[0], "`"), "--")
		if !ok {
			t.Errorf("%s: flags table row %q does not name a --flag", page, r[0])
			continue
		}
		documented = append(documented, name)
		defaults[name] = r[1]
		if !strings.HasPrefix(r[2], "(`run`)") {
			forSweep = append(forSweep, name)
		}
	}
	sameSet(t, page+" flags table", documented, sortedKeys(runFlags), "the table", "run's flags")
	sameSet(t, page+" flags table (without the (`run`) ones)", forSweep, sortedKeys(sweepFlags), "the table", "sweep's flags")

	for _, name := range documented {
		def, ok := runFlags[name]
		if !ok {
			continue
		}
		cell := defaults[name]
		lit, isLit := literalDefault(cell)
		switch {
		case zeroDefault(def) && isLit:
			t.Errorf("%s: --%s's default is %s in the table, but run's flag has none (%q)", page, name, cell, def)
		case !zeroDefault(def) && lit != def:
			t.Errorf("%s: --%s's default is %s in the table, run's flag says %s", page, name, cell, def)
		}
	}

	// "`run` flags (`sweep` takes the same, with ... `--repeats` 1 and ...)"
	m := regexp.MustCompile("`sweep` takes the same[^)]*`--repeats` ([0-9]+)").FindStringSubmatch(strings.Join(strings.Fields(text), " "))
	if m == nil {
		t.Errorf("%s: no sentence giving sweep's --repeats", page)
	} else if sweepFlags["repeats"] != m[1] {
		t.Errorf("%s: sweep's --repeats is %s in the docs, the flag's default is %s", page, m[1], sweepFlags["repeats"])
	}

	// "`seed` takes `--db`, ... as `run` does": the same flags, with run's defaults.
	prose := strings.Join(strings.Fields(text), " ")
	seedSentence := regexp.MustCompile("`seed` takes ([^;]*), as `run` does").FindStringSubmatch(prose)
	if seedSentence == nil {
		t.Fatalf("%s: no sentence naming seed's flags (\"`seed` takes …, as `run` does\")", page)
	}
	var seedDoc []string
	for _, m := range regexp.MustCompile("`--([a-z0-9-]+)`").FindAllStringSubmatch(seedSentence[1], -1) {
		seedDoc = append(seedDoc, m[1])
	}
	seedFS, _, _, _, _ := newSeedFlags()
	seedFlags := flagNames(seedFS)
	sameSet(t, page+" seed's flags", seedDoc, sortedKeys(seedFlags), "the page", "seed's flags")
	for name, def := range seedFlags {
		if runDef, ok := runFlags[name]; ok && runDef != def {
			t.Errorf("%s: seed's --%s defaults to %q, run's to %q, but the page says seed takes it as run does", page, name, def, runDef)
		}
	}

	// "`compare` two or more results folders and `--out`", and its default
	// in the synopsis: "(--out, default results/COMPARISON.md)".
	compareFS, _ := newCompareFlags()
	compareFlags := flagNames(compareFS)
	if !strings.Contains(prose, "`compare` two or more results folders and `--out`") {
		t.Errorf("%s: no sentence naming compare's arguments and --out", page)
	}
	sameSet(t, page+" compare's flags", []string{"out"}, sortedKeys(compareFlags), "the page", "compare's flags")
	if m := regexp.MustCompile(`compare DIR\.\.\. .*\(--out, default ([^)]+)\)`).FindStringSubmatch(text); m == nil {
		t.Errorf("%s: the synopsis gives no default of compare's --out", page)
	} else if m[1] != compareFlags["out"] {
		t.Errorf("%s: compare's --out defaults to %s in the synopsis, to %s in the code", page, m[1], compareFlags["out"])
	}
}

// dispatched returns the commands run() dispatches: the cases of the
// switch in cli.go's func run, help's spellings left out.
func dispatched(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "cli.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "run" || fn.Recv != nil {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			cc, ok := n.(*ast.CaseClause)
			if !ok {
				return true
			}
			for _, e := range cc.List {
				lit, ok := e.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				s, _ := strconv.Unquote(lit.Value)
				if s != "help" && !strings.HasPrefix(s, "-") {
					cmds = append(cmds, s)
				}
			}
			return true
		})
	}
	if len(cmds) == 0 {
		t.Fatal("found no command in cli.go's func run")
	}
	slices.Sort(cmds)
	return cmds
}

// TestDocUsage checks the usage text, the unknown-command message and the
// synopsis in docs/command-line.md against the commands run() dispatches,
// both ways.
func TestDocUsage(t *testing.T) {
	cmds := dispatched(t)

	var inUsage []string
	_, list, ok := strings.Cut(usage, "commands:\n")
	if !ok {
		t.Fatalf("usage has no commands: section:\n%s", usage)
	}
	for _, l := range strings.Split(list, "\n") {
		if !strings.HasPrefix(l, "  ") {
			break
		}
		inUsage = append(inUsage, strings.Fields(l)[0])
	}
	sameSet(t, "usage", inUsage, cmds, "the usage text", "run()")

	err := run(context.Background(), []string{"no-such-command"}, io.Discard, io.Discard)
	m := regexp.MustCompile(`\(want (.*)\)`).FindStringSubmatch(fmt.Sprint(err))
	if m == nil {
		t.Errorf("the unknown-command error lists no commands: %v", err)
	} else {
		sameSet(t, "unknown-command error", strings.FieldsFunc(strings.ReplaceAll(m[1], " or ", ","), func(r rune) bool { return r == ',' || r == ' ' }),
			cmds, "the error message", "run()")
	}

	// Every command answers -h with its synopsis, and nothing else runs.
	for _, c := range cmds {
		var out strings.Builder
		if err := run(context.Background(), []string{c, "-h"}, &out, io.Discard); err != flag.ErrHelp {
			t.Errorf("iterbench %s -h: %v, want flag.ErrHelp", c, err)
		}
		if !strings.HasPrefix(out.String(), "usage: iterbench "+c) {
			t.Errorf("iterbench %s -h printed %q", c, out.String())
		}
		if _, what := synopsis(c); what == "" {
			t.Errorf("synopsis(%q) says nothing", c)
		}
	}

	// The synopsis block (```text) of docs/command-line.md.
	const page = "docs/command-line.md"
	blocks, _ := markdown(readDoc(t, page))
	var inDocs []string
	for _, b := range blocks {
		if b.lang != "text" {
			continue
		}
		for _, l := range b.lines {
			rest, ok := strings.CutPrefix(l, "iterbench ")
			if !ok {
				continue
			}
			f := strings.Fields(rest)
			inDocs = append(inDocs, f[0])
			// Its arguments, as -h gives them (DIR, DIR...).
			code, _ := synopsis(f[0])
			want, got := placeholders(code), placeholders(strings.Join(f[1:], " "))
			if !slices.Equal(want, got) {
				t.Errorf("%s: iterbench %s takes %v, the code's synopsis says %v", page, f[0], got, want)
			}
		}
	}
	sameSet(t, page+" synopsis", inDocs, cmds, "the docs", "run()")
	sameSet(t, "doc_test.go's checkers", sortedKeys(checkers), cmds, "checkers", "run()")
}

// placeholders returns the argument names of a synopsis (DIR), once each.
func placeholders(s string) []string {
	var out []string
	for _, w := range strings.Fields(s) {
		w = strings.TrimSuffix(w, "...")
		if regexp.MustCompile(`^[A-Z]+$`).MatchString(w) && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	slices.Sort(out)
	return out
}

// checkers parse and check a command's arguments as the command does,
// without running anything.
var checkers = map[string]func(args []string) error{
	"run": func(args []string) error {
		fs, f, rows, target := newRunFlags()
		if err := parseFlags(fs, args, io.Discard); err != nil {
			return err
		}
		_, _, _, err := runConfig(fs, f, *rows, int(*target))
		return err
	},
	"sweep": func(args []string) error {
		fs, f, rows := newSweepFlags()
		if err := parseFlags(fs, args, io.Discard); err != nil {
			return err
		}
		_, _, _, err := sweepConfig(fs, f, *rows)
		return err
	},
	"seed": func(args []string) error {
		fs, f, rows, payload, _ := newSeedFlags()
		if err := parseFlags(fs, args, io.Discard); err != nil {
			return err
		}
		_, err := seedKind(fs, f, *rows, *payload)
		return err
	},
	"plot": func(args []string) error {
		_, err := plotArgs(args, io.Discard)
		return err
	},
	"compare": func(args []string) error {
		_, _, err := compareArgs(args, io.Discard)
		return err
	},
	"list": func(args []string) error { return listCmd(args, io.Discard) },
	"clean": func(args []string) error {
		removeNothing := func(context.Context) (container.Removed, error) { return container.Removed{}, nil }
		return cleanCmd(context.Background(), args, io.Discard, removeNothing)
	},
}

// docCommand is an iterbench command line shown in the docs or run by
// the Makefile.
type docCommand struct {
	where string
	args  []string
}

// shellWords splits a command line as sh does for plain words and quotes
// (no expansions).
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord, quote := false, rune(0)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// commandArgs returns the arguments of an iterbench command line (after
// "iterbench" or "bin/iterbench"), "…" (flags left out) dropped.
func commandArgs(line string) ([]string, bool, error) {
	line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "$ "))
	rest, ok := strings.CutPrefix(line, "iterbench ")
	if !ok {
		rest, ok = strings.CutPrefix(line, "bin/iterbench ")
	}
	if !ok {
		return nil, false, nil
	}
	words, err := shellWords(rest)
	return slices.DeleteFunc(words, func(w string) bool { return w == "…" }), true, err
}

// docCommands returns the iterbench command lines in the code blocks of
// the docs (the synopsis, ```text, excepted): lines starting with
// iterbench, bin/iterbench or $ iterbench, each command of a line
// joined by ";", and a comment that is one ("make run  # iterbench run …").
func docCommands(t *testing.T) []docCommand {
	t.Helper()
	var cmds []docCommand
	docs := docFiles(t)
	for _, name := range sortedKeys(docs) {
		blocks, _ := markdown(docs[name])
		for _, b := range blocks {
			if b.lang == "text" {
				continue
			}
			for i, l := range b.lines {
				var parts []string
				code, comment, _ := strings.Cut(l, "#")
				parts = append(parts, strings.Split(code, ";")...)
				parts = append(parts, comment)
				for _, p := range parts {
					args, ok, err := commandArgs(p)
					where := fmt.Sprintf("%s:%d", name, b.line+i)
					if err != nil {
						t.Errorf("%s: %v", where, err)
					}
					if ok {
						cmds = append(cmds, docCommand{where, args})
					}
				}
			}
		}
	}
	return cmds
}

// makefile is the Makefile's text, its continued lines joined.
func makefile(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, l := range makefileLines(t) {
		b.WriteString(l.text + "\n")
	}
	return b.String()
}

// makefileLine is a line of the Makefile, its continuations joined to it.
type makefileLine struct {
	n    int // its first line's number
	text string
}

func makefileLines(t *testing.T) []makefileLine {
	t.Helper()
	var lines []makefileLine
	cont := false
	for i, l := range strings.Split(readDoc(t, "Makefile"), "\n") {
		text, more := strings.CutSuffix(l, "\\")
		if cont {
			lines[len(lines)-1].text += " " + strings.TrimSpace(text)
		} else {
			lines = append(lines, makefileLine{i + 1, text})
		}
		cont = more
	}
	return lines
}

// makeCommands returns the iterbench command lines of the Makefile's
// recipes ($(BIN) …), its variables expanded; recipes with shell
// variables ($$d) are left out.
func makeCommands(t *testing.T) []docCommand {
	t.Helper()
	mk := makefile(t)
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^(?:export )?([A-Z_]+)\s*[:?]?=\s*(.*)$`).FindAllStringSubmatch(mk, -1) {
		vars[m[1]] = strings.TrimSpace(m[2])
	}
	expand := regexp.MustCompile(`\$\(([A-Z_]+)\)`)
	var cmds []docCommand
	for _, l := range makefileLines(t) {
		rest, ok := strings.CutPrefix(l.text, "\t$(BIN) ")
		if !ok || strings.Contains(rest, "$$") {
			continue
		}
		rest = expand.ReplaceAllStringFunc(rest, func(v string) string { return vars[expand.FindStringSubmatch(v)[1]] })
		args, err := shellWords(rest)
		if err != nil {
			t.Errorf("Makefile:%d: %v", l.n, err)
		}
		cmds = append(cmds, docCommand{fmt.Sprintf("Makefile:%d", l.n), args})
	}
	return cmds
}

// TestDocCommands parses every iterbench command line the docs show, and
// every one the Makefile runs, with the command's own parser and checks,
// without running anything: the flags must exist, their values and the
// arguments be valid.
func TestDocCommands(t *testing.T) {
	cmds := append(docCommands(t), makeCommands(t)...)
	if len(cmds) < 10 {
		t.Fatalf("found only %d iterbench command lines in the docs and the Makefile", len(cmds))
	}
	// Results folders are checked (not the current folder, a writable
	// parent) as from a fresh folder.
	t.Chdir(t.TempDir())
	for _, c := range cmds {
		if len(c.args) == 0 {
			t.Errorf("%s: iterbench without a command", c.where)
			continue
		}
		check, ok := checkers[c.args[0]]
		if !ok {
			t.Errorf("%s: iterbench %s: no such command", c.where, strings.Join(c.args, " "))
			continue
		}
		if err := check(c.args[1:]); err != nil {
			t.Errorf("%s: iterbench %s: %v", c.where, strings.Join(c.args, " "), err)
			continue
		}
		t.Logf("%s: iterbench %s", c.where, strings.Join(c.args, " "))
	}
}

// makeTargets returns the Makefile's targets and its .PHONY ones.
func makeTargets(t *testing.T) (all, phony []string) {
	t.Helper()
	mk := makefile(t)
	for _, m := range regexp.MustCompile(`(?m)^([A-Za-z0-9_.-]+(?: [A-Za-z0-9_.-]+)*)\s*:([^=]|$)`).FindAllStringSubmatch(mk, -1) {
		if m[1] == ".PHONY" {
			continue
		}
		all = append(all, strings.Fields(m[1])...)
	}
	if m := regexp.MustCompile(`(?m)^\.PHONY:(.*)$`).FindStringSubmatch(mk); m != nil {
		phony = strings.Fields(m[1])
	}
	return all, phony
}

// TestDocMakeTargets checks that every `make X` in the docs is a target of
// the Makefile, and that every .PHONY target is documented.
func TestDocMakeTargets(t *testing.T) {
	all, phony := makeTargets(t)
	if len(all) == 0 {
		t.Fatal("found no target in the Makefile")
	}
	named := map[string]bool{}
	makeRE := regexp.MustCompile(`^make ([a-z][a-z0-9_-]*)\b`)
	docs := docFiles(t)
	for _, name := range sortedKeys(docs) {
		blocks, prose := markdown(docs[name])
		lines := inlineCode(prose)
		for _, b := range blocks {
			lines = append(lines, b.lines...)
		}
		for _, l := range lines {
			m := makeRE.FindStringSubmatch(strings.TrimSpace(l))
			if m == nil {
				continue
			}
			named[m[1]] = true
			if !slices.Contains(all, m[1]) {
				t.Errorf("%s: `make %s`: the Makefile has no target %s", name, m[1], m[1])
			}
		}
	}
	for _, p := range phony {
		if !named[p] {
			t.Errorf("the Makefile's target %s is named nowhere in README.md or docs/ (docs/development.md lists the targets)", p)
		}
	}
}

// TestDocWorkerBuild checks that the Makefile builds the worker with
// worker.BuildArgs, as the docs and worker.BuildArgs say it does.
func TestDocWorkerBuild(t *testing.T) {
	mk := makefile(t)
	m := regexp.MustCompile(`(?m)^WORKER_BUILD\s*:=\s*(.*)$`).FindStringSubmatch(mk)
	if m == nil {
		t.Fatal("the Makefile sets no WORKER_BUILD")
	}
	args, err := shellWords(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(args, worker.BuildArgs) {
		t.Errorf("the Makefile's WORKER_BUILD is %q, worker.BuildArgs %q", args, worker.BuildArgs)
	}
	pkg := "./" + strings.TrimPrefix(worker.Package, "github.com/iterbench/iterbench/")
	out := "-o bin/" + worker.BinaryName + " "
	built := false
	for _, l := range strings.Split(mk, "\n") {
		if strings.Contains(l, out) {
			built = true
			if !strings.Contains(l, "$(WORKER_BUILD)") || !strings.HasSuffix(strings.TrimSpace(l), " "+pkg) {
				t.Errorf("the Makefile builds bin/%s otherwise than with $(WORKER_BUILD) from %s: %q", worker.BinaryName, pkg, strings.TrimSpace(l))
			}
		}
	}
	if !built {
		t.Errorf("the Makefile does not build bin/%s", worker.BinaryName)
	}
}

// TestDocStrategies checks the strategies table of docs/strategies.md
// against the registry: every strategy, in the registry's order (the
// order of iterbench list and of the charts' colours and markers, whose
// uniqueness plots.TestOneStylePerStrategy checks).
func TestDocStrategies(t *testing.T) {
	const page = "docs/strategies.md"
	var docs, code []string
	for _, r := range tableRows(t, readDoc(t, page), "| name | how it reads |") {
		docs = append(docs, strings.Trim(r[0], "`"))
	}
	for _, s := range strategies.All() {
		code = append(code, s.Name())
	}
	if !slices.Equal(docs, code) {
		t.Errorf("%s lists the strategies %q, the registry (strategies.All) %q", page, docs, code)
	}
}
