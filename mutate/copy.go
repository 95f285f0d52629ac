package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/iterbench/iterbench/internal/outdir"
)

// tmpPrefix starts the name of the copy's folder, followed by this
// process's pid, so that a later run can remove a copy left by a run that
// was killed.
const tmpPrefix = "iterbench-mutate-"

// notCopied are the top-level folders not copied: the committed results
// (no test reads them) and the built binaries.
var notCopied = []string{"results", "bin", ".git"}

func skip(rel string) bool {
	top, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
	for _, s := range notCopied {
		if top == s {
			return true
		}
	}
	return false
}

// copyModule copies the module at root into a new temporary folder and
// returns it: the work tree's files as they are now (tracked ones and
// untracked ones git does not ignore; every file but ignored-looking
// folders without git), or with rev the files of that commit. The caller
// removes the folder.
func copyModule(root, rev string) (string, error) {
	// Copies left by runs that were killed.
	outdir.RemoveStale(os.TempDir(), tmpPrefix)
	dst, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", tmpPrefix, os.Getpid()))
	if err != nil {
		return "", err
	}
	if rev != "" {
		err = archive(root, rev, dst)
	} else {
		err = copyTree(root, dst)
	}
	if err != nil {
		os.RemoveAll(dst)
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dst, "go.mod")); err != nil {
		os.RemoveAll(dst)
		return "", fmt.Errorf("the copy has no go.mod: %w", err)
	}
	return dst, nil
}

// archive extracts commit rev of the repository at root into dst.
func archive(root, rev, dst string) error {
	git := exec.Command("git", "archive", "--format=tar", rev, "--", ".", ":(exclude)results", ":(exclude)bin")
	git.Dir = root
	var stderr bytes.Buffer
	git.Stderr = &stderr
	tar := exec.Command("tar", "-x", "-C", dst)
	pipe, err := git.StdoutPipe()
	if err != nil {
		return err
	}
	tar.Stdin = pipe
	var tarErr bytes.Buffer
	tar.Stderr = &tarErr
	if err := tar.Start(); err != nil {
		return fmt.Errorf("tar: %w", err)
	}
	if err := git.Run(); err != nil {
		tar.Wait()
		return fmt.Errorf("git archive %s: %v: %s", rev, err, strings.TrimSpace(stderr.String()))
	}
	if err := tar.Wait(); err != nil {
		return fmt.Errorf("tar: %v: %s", err, strings.TrimSpace(tarErr.String()))
	}
	return nil
}

// copyTree copies root's files into dst: those git lists (tracked, and
// untracked but not ignored) when root is a git work tree, else every file.
func copyTree(root, dst string) error {
	files, err := gitFiles(root)
	if err != nil {
		files = nil
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			if rel != "." && skip(rel) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() {
				files = append(files, rel)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, rel := range files {
		if skip(rel) {
			continue
		}
		if err := copyFile(filepath.Join(root, rel), filepath.Join(dst, rel)); err != nil {
			return err
		}
	}
	return nil
}

// gitFiles lists the files of the work tree at root that git tracks or
// would add.
func gitFiles(root string) ([]string, error) {
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	var files []string
	for _, f := range strings.Split(string(out), "\x00") {
		if f != "" {
			files = append(files, f)
		}
	}
	return files, nil
}

// copyFile copies a regular file (keeping its mode) or a symbolic link;
// a file listed but since removed is left out.
func copyFile(src, dst string) error {
	info, err := os.Lstat(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	case !info.Mode().IsRegular():
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}
