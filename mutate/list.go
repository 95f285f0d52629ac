package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Entry is one mutation of the list.
type Entry struct {
	// Name identifies the entry (-run selects by it).
	Name string
	// Promise is what the mutation breaks, in the docs' words (README.md and docs/).
	Promise string
	// File is the file to mutate, relative to the module's root.
	File string
	// From is the original text, which must occur exactly once in File;
	// To replaces it.
	From, To string
	// Package is the package whose tests are run (default: File's folder),
	// Run the go test -run pattern naming the tests that must catch it.
	Package, Run string
	// Line is where the entry starts in the list, for messages.
	Line int
}

// keys are the fields of an entry; all but package are required.
var keys = []string{"name", "promise", "file", "from", "to", "package", "run"}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Parse reads a list of mutations (see the package documentation for the
// format); file names the list in messages.
func Parse(r io.Reader, file string) ([]Entry, error) {
	var (
		entries []Entry
		cur     map[string]string
		start   int
		seen    = map[string]int{}
	)
	finish := func() error {
		if cur == nil {
			return nil
		}
		e, err := entryOf(cur, start)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", file, start, err)
		}
		if prev, dup := seen[e.Name]; dup {
			return fmt.Errorf("%s:%d: name %q is already used by the entry at line %d", file, start, e.Name, prev)
		}
		seen[e.Name] = start
		entries = append(entries, e)
		cur = nil
		return nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			if err := finish(); err != nil {
				return nil, err
			}
			continue
		case strings.HasPrefix(trimmed, "#"):
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		key = strings.TrimSpace(key)
		if !ok || !isKey(key) {
			return nil, fmt.Errorf("%s:%d: want \"key: value\" with a key among %s, got %q", file, n, strings.Join(keys, ", "), line)
		}
		value, err := unquote(strings.Trim(value, " \t"))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %w", file, n, key, err)
		}
		if cur == nil {
			cur, start = map[string]string{}, n
		}
		if _, dup := cur[key]; dup {
			return nil, fmt.Errorf("%s:%d: %s given twice in one entry (entries are separated by blank lines)", file, n, key)
		}
		cur[key] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if err := finish(); err != nil {
		return nil, err
	}
	return entries, nil
}

func isKey(k string) bool {
	for _, x := range keys {
		if k == x {
			return true
		}
	}
	return false
}

// unquote returns a value as written, or the string a Go string literal
// ("…" or `…`) stands for: the way to write an empty replacement, or one
// with leading or trailing blanks.
func unquote(v string) (string, error) {
	if len(v) < 2 || !(v[0] == '"' || v[0] == '`') {
		return v, nil
	}
	s, err := strconv.Unquote(v)
	if err != nil {
		return "", fmt.Errorf("%s is not a Go string literal: %w", v, err)
	}
	if strings.Contains(s, "\n") {
		return "", fmt.Errorf("%s holds a line break: mutations are of one line", v)
	}
	return s, nil
}

// entryOf checks one entry's fields.
func entryOf(f map[string]string, line int) (Entry, error) {
	for _, k := range keys {
		if _, ok := f[k]; !ok && k != "package" {
			return Entry{}, fmt.Errorf("entry lacks %q", k)
		}
	}
	e := Entry{Name: f["name"], Promise: f["promise"], File: f["file"], From: f["from"], To: f["to"],
		Package: f["package"], Run: f["run"], Line: line}
	switch {
	case !validName.MatchString(e.Name):
		return e, fmt.Errorf("name %q: use letters, digits, '.', '_' and '-'", e.Name)
	case e.Promise == "":
		return e, fmt.Errorf("%s: say which promise it breaks", e.Name)
	case e.File == "" || path.IsAbs(e.File) || path.Clean(e.File) != e.File || strings.HasPrefix(e.File, "../"):
		return e, fmt.Errorf("%s: file %q: give a clean path inside the module, relative to its root", e.Name, e.File)
	case e.From == "":
		return e, fmt.Errorf("%s: from is empty", e.Name)
	case e.From == e.To:
		return e, fmt.Errorf("%s: from and to are the same", e.Name)
	case e.Run == "":
		return e, fmt.Errorf("%s: run names no test", e.Name)
	}
	if _, err := regexp.Compile(e.Run); err != nil {
		return e, fmt.Errorf("%s: run: %w", e.Name, err)
	}
	if e.Package == "" {
		e.Package = "./" + path.Dir(e.File)
	}
	return e, nil
}

// StaleError says that an entry's original text does not occur exactly
// once in its file: the list has drifted from the code.
type StaleError struct {
	File  string
	From  string
	Count int // occurrences found; -1: the file is missing
}

func (e *StaleError) Error() string {
	if e.Count < 0 {
		return fmt.Sprintf("%s does not exist", e.File)
	}
	return fmt.Sprintf("%s holds %q %d times, not once", e.File, e.From, e.Count)
}

// Apply returns content with from replaced by to, or a *StaleError when
// from does not occur exactly once (file names content in it).
func Apply(content []byte, file, from, to string) ([]byte, error) {
	if n := bytes.Count(content, []byte(from)); n != 1 {
		return nil, &StaleError{File: file, From: from, Count: n}
	}
	return bytes.Replace(content, []byte(from), []byte(to), 1), nil
}
